// Command urnatiles reads an Urna log published as C2SP tlog-tiles with code
// nobody at Urna wrote: golang.org/x/mod/sumdb/note verifies the checkpoint
// with the log's verifier key, and golang.org/x/mod/sumdb/tlog reads the hash
// tiles (TileHashReader, which authenticates every tile it loads against the
// tree hash), recomputes the tree hash, proves and checks the inclusion of the
// leaves asked for, and checks every entry of every entry bundle against its
// leaf hash in the level-0 tiles (ReadTileData, HashFromTile).
//
// Usage: urnatiles DIR VERIFIER_KEY [INDEX ...]
// It prints one JSON document; any failure is a message on stderr and exit 1.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

type proof struct {
	Index    int64    `json:"index"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

type output struct {
	Origin   string  `json:"origin"`
	Size     int64   `json:"size"`
	RootHash string  `json:"root_hash"`
	TreeHash string  `json:"tree_hash"`
	Entries  int64   `json:"entries_checked"`
	Tiles    int     `json:"tiles_read"`
	Proofs   []proof `json:"inclusion"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "urnatiles: "+format+"\n", args...)
	os.Exit(1)
}

// c2spPath maps tlog's tile path (tile/8/L/N[.p/W], with the height) to the
// C2SP tlog-tiles path (tile/L/N[.p/W], height 8 implied).
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	prefix := "tile/" + strconv.Itoa(height) + "/"
	if !strings.HasPrefix(p, prefix) {
		fail("unexpected tile path %q", p)
	}
	return "tile/" + strings.TrimPrefix(p, prefix)
}

type dirTiles struct {
	dir   string
	reads int
}

func (d *dirTiles) Height() int { return height }

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s has %d bytes, not %d", c2spPath(t), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
		d.reads++
	}
	return out, nil
}

func (d *dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// bundle splits a C2SP entry bundle: entries prefixed by big-endian uint16 lengths.
func bundle(data []byte) [][]byte {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			fail("an entry bundle ends inside a length")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			fail("an entry bundle ends inside an entry")
		}
		entries = append(entries, data[2:2+n])
		data = data[2+n:]
	}
	return entries
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: urnatiles DIR VERIFIER_KEY [INDEX ...]")
	}
	dir, vkey := os.Args[1], os.Args[2]

	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("the log's verifier key: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("reading the checkpoint: %v", err)
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		fail("the checkpoint does not verify: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("the checkpoint text is not origin, size, root: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size <= 0 {
		fail("the checkpoint size is not a positive decimal: %q", lines[1])
	}
	rootRaw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootRaw) != tlog.HashSize {
		fail("the checkpoint root is not base64 of 32 bytes: %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootRaw)

	tiles := &dirTiles{dir: dir}
	reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles)
	treeHash, err := tlog.TreeHash(size, reader)
	if err != nil {
		fail("tree hash from the tiles: %v", err)
	}
	if treeHash != root {
		fail("the tree hash of the tiles is %s, the checkpoint says %s", treeHash, root)
	}

	// every entry bundle against its level-0 tile, read through the authenticating reader
	var checked int64
	for start := int64(0); start < size; start += 1 << height {
		t := tlog.TileForIndex(height, tlog.StoredHashIndex(0, start))
		t.W = 1 << height
		if size-start < 1<<height {
			t.W = int(size - start)
		}
		data, err := tlog.ReadTileData(t, reader)
		if err != nil {
			fail("reading %s: %v", c2spPath(t), err)
		}
		entriesPath := strings.Replace(c2spPath(t), "tile/0/", "tile/entries/", 1)
		raw, err := os.ReadFile(filepath.Join(dir, entriesPath))
		if err != nil {
			fail("reading %s: %v", entriesPath, err)
		}
		entries := bundle(raw)
		if len(entries) != t.W {
			fail("%s has %d entries, not %d", entriesPath, len(entries), t.W)
		}
		for i, entry := range entries {
			index := start + int64(i)
			want, err := tlog.HashFromTile(t, data, tlog.StoredHashIndex(0, index))
			if err != nil {
				fail("leaf hash %d: %v", index, err)
			}
			if tlog.RecordHash(entry) != want {
				fail("entry %d in %s does not hash to its leaf hash", index, entriesPath)
			}
			checked++
		}
	}

	out := output{
		Origin: lines[0], Size: size, RootHash: root.String(), TreeHash: treeHash.String(),
		Entries: checked,
	}
	for _, arg := range os.Args[3:] {
		index, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || index < 0 || index >= size {
			fail("not a leaf index below %d: %q", size, arg)
		}
		leaf, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
		if err != nil {
			fail("leaf hash %d: %v", index, err)
		}
		p, err := tlog.ProveRecord(size, index, reader)
		if err != nil {
			fail("proving leaf %d: %v", index, err)
		}
		if err := tlog.CheckRecord(p, size, root, index, leaf[0]); err != nil {
			fail("the inclusion proof of leaf %d does not check: %v", index, err)
		}
		texts := make([]string, len(p))
		for i, h := range p {
			texts[i] = hex.EncodeToString(h[:])
		}
		out.Proofs = append(out.Proofs, proof{index, hex.EncodeToString(leaf[0][:]), texts})
	}
	out.Tiles = tiles.reads
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the output: %v", err)
	}
}

// Command urnacheck checks an Urna log with code nobody at Urna wrote:
// golang.org/x/mod/sumdb/note verifies the signed checkpoint with the log's
// verifier key, and golang.org/x/mod/sumdb/tlog recomputes the tree hash from
// the entries and checks the inclusion and consistency proofs Urna served.
//
// It reads one JSON document on stdin (built by tests/interop from Urna's log
// API) and prints one JSON document with what it found; any failure is a
// message on stderr and exit status 1.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  string   `json:"leaf_hash"`
	Root  string   `json:"root_hash"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old     int64    `json:"old"`
	New     int64    `json:"new"`
	OldRoot string   `json:"old_root_hash"`
	NewRoot string   `json:"new_root_hash"`
	Proof   []string `json:"proof"`
}

type input struct {
	VerifierKey string        `json:"verifier_key"`
	Checkpoint  string        `json:"checkpoint"`
	Entries     []string      `json:"entries"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

type output struct {
	Origin      string `json:"origin"`
	Size        int64  `json:"size"`
	RootHash    string `json:"root_hash"`
	TreeHash    string `json:"tree_hash"`
	SignedBy    string `json:"signed_by"`
	Inclusion   int    `json:"inclusion_proofs_checked"`
	Consistency int    `json:"consistency_proofs_checked"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "urnacheck: "+format+"\n", args...)
	os.Exit(1)
}

func hash(text string) tlog.Hash {
	raw, err := hex.DecodeString(text)
	if err != nil || len(raw) != tlog.HashSize {
		fail("not a hex SHA-256 hash: %q", text)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

func hashes(texts []string) []tlog.Hash {
	out := make([]tlog.Hash, len(texts))
	for i, t := range texts {
		out[i] = hash(t)
	}
	return out
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading the input: %v", err)
	}

	// 1. the checkpoint: a signed note by the log's key, then origin, size, base64 root
	verifier, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		fail("the log's verifier key: %v", err)
	}
	n, err := note.Open([]byte(in.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		fail("the checkpoint does not verify: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("the checkpoint text is not origin, size, root: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		fail("the checkpoint size is not canonical decimal: %q", lines[1])
	}
	rootRaw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootRaw) != tlog.HashSize {
		fail("the checkpoint root is not base64 of 32 bytes: %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootRaw)

	// 2. the tree: store every hash of the entries as tlog does, recompute the root
	if int64(len(in.Entries)) != size {
		fail("%d entries for a checkpoint of size %d", len(in.Entries), size)
	}
	stored := []tlog.Hash{}
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, index := range indexes {
			if index < 0 || index >= int64(len(stored)) {
				return nil, fmt.Errorf("no stored hash %d", index)
			}
			out[i] = stored[index]
		}
		return out, nil
	})
	for i, data := range in.Entries {
		more, err := tlog.StoredHashes(int64(i), []byte(data), reader)
		if err != nil {
			fail("storing entry %d: %v", i, err)
		}
		stored = append(stored, more...)
	}
	treeHash, err := tlog.TreeHash(size, reader)
	if err != nil {
		fail("tree hash: %v", err)
	}
	if treeHash != root {
		fail("the tree hash of the entries is %s, the checkpoint says %s", treeHash, root)
	}

	// 3. Urna's proofs check, and equal the ones tlog computes itself
	for _, p := range in.Inclusion {
		leaf := hash(p.Leaf)
		if p.Index >= int64(len(in.Entries)) || tlog.RecordHash([]byte(in.Entries[p.Index])) != leaf {
			fail("the leaf hash of entry %d is not SHA-256(0x00 || data)", p.Index)
		}
		proof := tlog.RecordProof(hashes(p.Proof))
		if err := tlog.CheckRecord(proof, p.Size, hash(p.Root), p.Index, leaf); err != nil {
			fail("inclusion proof of %d in %d: %v", p.Index, p.Size, err)
		}
		own, err := tlog.ProveRecord(p.Size, p.Index, reader)
		if err != nil || fmt.Sprint(own) != fmt.Sprint(proof) {
			fail("inclusion proof of %d in %d differs from tlog's own", p.Index, p.Size)
		}
	}
	for _, p := range in.Consistency {
		proof := tlog.TreeProof(hashes(p.Proof))
		if err := tlog.CheckTree(proof, p.New, hash(p.NewRoot), p.Old, hash(p.OldRoot)); err != nil {
			fail("consistency proof from %d to %d: %v", p.Old, p.New, err)
		}
		own, err := tlog.ProveTree(p.New, p.Old, reader)
		if err != nil || fmt.Sprint(own) != fmt.Sprint(proof) {
			fail("consistency proof from %d to %d differs from tlog's own", p.Old, p.New)
		}
	}

	out := output{
		Origin:      lines[0],
		Size:        size,
		RootHash:    hex.EncodeToString(root[:]),
		TreeHash:    hex.EncodeToString(treeHash[:]),
		SignedBy:    n.Sigs[0].Name,
		Inclusion:   len(in.Inclusion),
		Consistency: len(in.Consistency),
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the output: %v", err)
	}
}

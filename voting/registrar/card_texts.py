"""The short instructions printed on voting cards, in each card language.

``{url}`` is the voting page without the code (the code is printed apart and
only carried, in the QR code, in the URL fragment).
"""

from __future__ import annotations

from typing import TypedDict


class CardText(TypedDict):
    title: str
    vote_day: str
    unit: str
    code: str
    steps: list[str]
    secret: str


CARD_LANGUAGES = ("de", "fr", "it", "en", "ko")

CARD_TEXTS: dict[str, CardText] = {
    "de": {
        "title": "Stimmrechtsausweis für die elektronische Stimmabgabe",
        "vote_day": "Abstimmung",
        "unit": "Stimmbezirk",
        "code": "Ihr persönlicher Code",
        "steps": [
            "Scannen Sie den QR-Code mit Ihrem Telefon, oder öffnen Sie {url} "
            "und tippen Sie Ihren Code ein.",
            "Beantworten Sie die Fragen, prüfen Sie Ihre Wahl und geben Sie die Stimme ab. "
            "Ihr Browser verschlüsselt sie, bevor sie gesendet wird.",
            "Bewahren Sie die Quittung auf: Damit prüfen Sie, dass Ihre Stimme gezählt wurde.",
        ],
        "secret": "Halten Sie diesen Code geheim. Wer ihn kennt, kann an Ihrer Stelle "
        "abstimmen. Er gilt nur für diese Abstimmung.",
    },
    "fr": {
        "title": "Carte de vote pour le vote électronique",
        "vote_day": "Votation",
        "unit": "Circonscription",
        "code": "Votre code personnel",
        "steps": [
            "Scannez le code QR avec votre téléphone, ou ouvrez {url} et saisissez votre code.",
            "Répondez aux questions, vérifiez vos choix et votez. Votre navigateur chiffre "
            "votre bulletin avant de l'envoyer.",
            "Conservez le reçu : il vous permet de vérifier que votre vote a été compté.",
        ],
        "secret": "Gardez ce code secret. Quiconque le connaît peut voter à votre place. "
        "Il n'est valable que pour cette votation.",
    },
    "it": {
        "title": "Carta di legittimazione per il voto elettronico",
        "vote_day": "Votazione",
        "unit": "Circondario",
        "code": "Il suo codice personale",
        "steps": [
            "Scansioni il codice QR con il telefono, oppure apra {url} e digiti il suo codice.",
            "Risponda alle domande, controlli le sue scelte e voti. Il suo browser cifra "
            "la scheda prima di inviarla.",
            "Conservi la ricevuta: le permette di verificare che il suo voto è stato contato.",
        ],
        "secret": "Tenga segreto questo codice. Chi lo conosce può votare al suo posto. "
        "Vale solo per questa votazione.",
    },
    "en": {
        "title": "Voting card for electronic voting",
        "vote_day": "Vote",
        "unit": "Voting district",
        "code": "Your personal code",
        "steps": [
            "Scan the QR code with your phone, or open {url} and type your code.",
            "Answer the questions, check your choices and cast your ballot. Your browser "
            "encrypts it before it is sent.",
            "Keep the receipt: with it you can check that your ballot was counted.",
        ],
        "secret": "Keep this code secret. Anyone who knows it can vote in your place. "
        "It is valid for this vote only.",
    },
    "ko": {
        "title": "전자 투표용 투표 카드",
        "vote_day": "투표",
        "unit": "투표구",
        "code": "개인 투표 코드",
        "steps": [
            "휴대전화로 QR 코드를 스캔하거나 {url} 에 접속하여 코드를 입력하십시오.",
            "질문에 답하고 선택을 확인한 뒤 투표하십시오. 투표지는 전송되기 전에 "
            "브라우저에서 암호화됩니다.",
            "영수증을 보관하십시오. 영수증으로 투표가 집계되었는지 확인할 수 있습니다.",
        ],
        "secret": "이 코드를 다른 사람에게 알려 주지 마십시오. 코드를 아는 사람은 누구나 "
        "대신 투표할 수 있습니다. 이번 투표에만 유효합니다.",
    },
}


class ReturnCodeText(TypedDict):
    heading: str
    compare: str
    choice: str
    code: str
    blank: str
    bck: str
    bck_help: str
    vcc: str
    vcc_help: str


RETURN_CODE_TEXTS: dict[str, ReturnCodeText] = {
    "de": {
        "heading": "Prüfcodes",
        "compare": "Nach der Stimmabgabe zeigt Ihnen die Seite zu jeder Frage einen Code. "
        "Er muss der Code Ihrer Antwort in dieser Tabelle sein. Stimmt ein Code nicht, "
        "bestätigen Sie nicht: Stimmen Sie brieflich oder im Stimmlokal ab.",
        "choice": "Antwort",
        "code": "Code",
        "blank": "leer",
        "bck": "Bestätigungscode",
        "bck_help": "Geben Sie ihn nur ein, wenn alle Codes stimmen.",
        "vcc": "Finalisierungscode",
        "vcc_help": "Die Seite zeigt ihn nach der Bestätigung: Ihre Stimme wird gezählt.",
    },
    "fr": {
        "heading": "Codes de vérification",
        "compare": "Après le vote, la page affiche un code pour chaque question. Ce doit "
        "être le code de votre réponse dans ce tableau. Si un code diffère, ne confirmez "
        "pas : votez par correspondance ou au bureau de vote.",
        "choice": "Réponse",
        "code": "Code",
        "blank": "blanc",
        "bck": "Code de confirmation",
        "bck_help": "Ne le saisissez que si tous les codes correspondent.",
        "vcc": "Code de finalisation",
        "vcc_help": "La page l'affiche après la confirmation : votre vote sera compté.",
    },
    "it": {
        "heading": "Codici di verifica",
        "compare": "Dopo il voto, la pagina mostra un codice per ogni domanda. Deve essere "
        "il codice della sua risposta in questa tabella. Se un codice non corrisponde, non "
        "confermi: voti per corrispondenza o all'ufficio elettorale.",
        "choice": "Risposta",
        "code": "Codice",
        "blank": "scheda bianca",
        "bck": "Codice di conferma",
        "bck_help": "Lo inserisca solo se tutti i codici corrispondono.",
        "vcc": "Codice di finalizzazione",
        "vcc_help": "La pagina lo mostra dopo la conferma: il suo voto sarà contato.",
    },
    "en": {
        "heading": "Check codes",
        "compare": "After you cast your ballot, the page shows a code for each question. It "
        "must be the code of your answer in this table. If a code differs, do not confirm: "
        "vote by post or at the polling station.",
        "choice": "Answer",
        "code": "Code",
        "blank": "blank",
        "bck": "Confirmation code",
        "bck_help": "Type it only if every code matches.",
        "vcc": "Finalisation code",
        "vcc_help": "The page shows it after the confirmation: your ballot will be counted.",
    },
    "ko": {
        "heading": "확인 코드",
        "compare": "투표한 뒤 화면에 질문마다 코드가 표시됩니다. 이 표에서 선택한 답의 코드와 "
        "같아야 합니다. 코드가 다르면 확정하지 말고 우편이나 투표소에서 투표하십시오.",
        "choice": "답",
        "code": "코드",
        "blank": "무효(백지)",
        "bck": "확정 코드",
        "bck_help": "모든 코드가 일치할 때만 입력하십시오.",
        "vcc": "완료 코드",
        "vcc_help": "확정한 뒤 화면에 표시됩니다. 투표가 집계됩니다.",
    },
}

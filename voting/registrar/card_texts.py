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

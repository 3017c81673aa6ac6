"""Languages of the console: negotiation, the remembered choice, gettext and locale formatting.

Catalogues live in ``locales/<lang>/LC_MESSAGES/accord.mo`` (compiled from the ``.po`` files
with pybabel); English is the source language and needs none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, dates, numbers, units
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from accord.stix.timestamps import parse_us

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "ar": "العربية", "zh": "中文"}
DEFAULT = "en"
RTL = {"ar"}
COOKIE = "accord_lang"


def from_accept_language(header: str | None) -> str:
    """The best supported language for an Accept-Language header (q-values honoured)."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else DEFAULT


def choose(request: Request) -> tuple[str, bool]:
    """(language, remember): ``?lang=`` wins and is remembered, then the cookie, then the header."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie, False
    return from_accept_language(request.headers.get("accept-language")), False


@lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [lang], domain="accord")


@dataclass(frozen=True)
class Lang:
    """Everything a page needs to speak one language."""

    code: str

    @property
    def dir(self) -> str:
        return "rtl" if self.code in RTL else "ltr"

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    def gettext(self, message: str, **values: object) -> str:
        text = translations(self.code).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = translations(self.code).ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def datetime(self, us: int | None) -> str:
        if us is None:
            return "—"
        moment = datetime.fromtimestamp(us / 1e6, UTC)
        return dates.format_datetime(moment, "medium", tzinfo=UTC, locale=self.locale) + " UTC"

    def timestamp(self, text: str | None) -> str:
        """A STIX timestamp (as the services return them) in this language."""
        return self.datetime(parse_us(text)) if text else "—"

    def number(self, value: float) -> str:
        return numbers.format_decimal(value, locale=self.locale)

    def size(self, nbytes: int) -> str:
        """A file size in the language's units: '1.5 MB', '1.5 م.ب'."""
        value, unit = float(nbytes), "byte"
        for bigger in ("kilobyte", "megabyte", "gigabyte"):
            if value < 1000:
                break
            value, unit = value / 1000, bigger
        # CLDR's short form of a plain byte count is singular in English ("703 byte"): spell it out.
        length = "long" if unit == "byte" else "short"
        return units.format_unit(round(value, 1), f"digital-{unit}", length=length, locale=self.locale)

    def duration(self, seconds: float) -> str:
        """'3 days', '٣ ساعات', '2天': how long, in words, for time left and overdue."""
        return dates.format_timedelta(abs(seconds), threshold=1.5, locale=self.locale)

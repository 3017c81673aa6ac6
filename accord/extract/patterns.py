"""Linear-time candidate patterns, one per indicator type.

All patterns run on folded ASCII-ish text (see normalize.py). Boundaries use explicit ASCII classes
instead of \\b, because in Unicode mode Han and Arabic letters count as word characters and an
indicator glued to them would otherwise be missed. Repetitions are possessive (Python 3.11+) or
bounded so no pattern can backtrack catastrophically.
"""

from __future__ import annotations

import re

from .idn import DEFANGED_DOT, LABEL_RANGES, NARROW_RANGES, WIDE_RANGES

# Left boundary for host-like tokens: not inside a word or a dotted run, but a full stop right after a
# non-ASCII letter is a sentence end ("المتحدة.evil.com", common in PDF text of Arabic lines).
_NB = r"(?<![A-Za-z0-9_\-])(?<![A-Za-z0-9_\-]\.)(?<!^\.)"
_HOST_CH = r"A-Za-z0-9\-\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_DOT = r"[.\u3002]"  # "." or the ideographic full stop, which Chinese text uses as a dot
IDEOGRAPHIC_DOT = "\u3002"

# Host part may use "。" as a dot; the path may not, so a URL ends at a Chinese full stop.
URL = re.compile(
    r"(?<![A-Za-z0-9])(?:https?|ftps?|sftp|tcp|udp|wss?)://"
    r"[A-Za-z0-9\-._~:@!$&'()*+,;=%\[\]\u00c0-\u024f\u0400-\u04ff\u3002]++"
    r"(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%\u00c0-\u024f\u0400-\u04ff]*+)?",
    re.I,
)
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}+@"
    rf"[{_HOST_CH}]{{1,63}}+(?:{_DOT}[{_HOST_CH}]{{1,63}}+)++"
)
DOMAIN = re.compile(rf"{_NB}[{_HOST_CH}_]{{1,63}}+(?:{_DOT}[{_HOST_CH}_]{{1,63}}+)++(?![A-Za-z0-9_\-])")
IPV4 = re.compile(
    rf"(?<![A-Za-z0-9_])(?<![A-Za-z0-9_]\.)(?<!^\.)(\d{{1,3}}){_DOT}(\d{{1,3}}){_DOT}(\d{{1,3}}){_DOT}(\d{{1,3}})(?:/(\d{{1,2}}))?"
    r"(?![0-9A-Za-z_]|\.\d)"
)
IPV6 = re.compile(
    r"(?<![A-Za-z0-9_:.\-])(?:[0-9A-Fa-f]{1,4})?:(?:[0-9A-Fa-f]{1,4})?:[0-9A-Fa-f:.]{0,40}+(?:/(\d{1,3}))?"
)
# Long alphanumeric runs: hashes (all hex, exact length) and legacy Bitcoin addresses (Base58Check).
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_])[0-9A-Za-z]{25,}+(?![A-Za-z0-9_])")
# Patterns below start with a literal so the engine jumps between occurrences instead of trying
# every position; the left boundary is a lookbehind placed after that literal.
CVE = re.compile(r"CVE(?<![A-Za-z0-9]CVE)[\-_ ]?(\d{4})[\-_](\d{4,7})(?![0-9])")
CVE_ANY_CASE = re.compile(r"(?<![A-Za-z0-9])CVE[\-_ ]?(\d{4})[\-_](\d{4,7})(?![0-9])", re.I)
ATTACK = re.compile(r"T(?<![A-Za-z0-9]T)(\d{4})(?:[./](\d{3}))?(?![0-9A-Za-z])")
BECH32 = re.compile(r"bc1(?<![A-Za-z0-9]bc1)[02-9ac-hj-np-z]{11,71}+(?![A-Za-z0-9])")
BECH32_UPPER = re.compile(r"BC1(?<![A-Za-z0-9]BC1)[02-9AC-HJ-NP-Z]{11,71}+(?![A-Za-z0-9])")
# Anchors consume only their literal (the rest is lookahead) so consecutive candidates never overlap.
IPV4_ANCHOR = re.compile(rf"\.(?=\d{{1,3}}{_DOT}\d{{1,3}}{_DOT}\d)")
IPV4_ANCHOR_IDEOGRAPHIC = re.compile(rf"\u3002(?=\d{{1,3}}{_DOT}\d{{1,3}}{_DOT}\d)")
IPV6_ANCHOR = re.compile(r":(?=[0-9A-Fa-f]{0,4}+:)")
URL_ANCHOR = "://"
# A key path segment: printable ASCII/Latin only, so a key glued to Han or Arabic text ends there.
# Spaces inside a segment ("Windows NT", "Windows Defender") are kept only before a capitalised word.
_REG_SEG = r"[!#-&(-+\-./0-:=?-\[\]-{}~\u00c0-\u024f]++"
REGISTRY = re.compile(
    r"(?<![A-Za-z0-9])(?:HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|"
    r"HKEY_CURRENT_CONFIG|HKLM|HKCU|HKCR|HKU|HKCC)"
    rf"(?:\\{{1,2}}{_REG_SEG}(?:(?<![.,;:!?]) (?-i:[A-Z0-9])[A-Za-z0-9_\-]*+)*+)++",
    re.I,
)
ASN = re.compile(r"AS(?<![A-Za-z0-9]AS)N?(?::\s?|\s)?(\d{1,10})(?![0-9])")
# Hosts with Arabic/Han/... labels (see idn.py): narrow labels, then at least one wide character or a
# defanged-dot mark, then labels of any script. The run may swallow glued prose; idn.resolve cuts it.
_IDN_HOST = rf"[{NARROW_RANGES}.\u3002]*+[{WIDE_RANGES}{DEFANGED_DOT}][{LABEL_RANGES}.\u3002{DEFANGED_DOT}]*+"
_SCHEMES = r"(?:https?|ftps?|sftp|tcp|udp|wss?)"
URL_IDN = re.compile(
    rf"(?<![A-Za-z0-9]){_SCHEMES}://({_IDN_HOST})(:\d{{1,5}}(?![0-9]))?"
    r"([/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*+)?",
    re.I,
)
EMAIL_IDN = re.compile(rf"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]{{1,64}}+)@({_IDN_HOST})")
# A dot glued to a wide-script letter on either side: where a Unicode host may be.
IDN_ANCHOR = re.compile(
    rf"[.{DEFANGED_DOT}](?:(?<=[{WIDE_RANGES}][.{DEFANGED_DOT}])(?=[{LABEL_RANGES}])|(?=[{WIDE_RANGES}]))"
)
# The run of labels and dots around an anchor, found by the engine rather than char by char in Python:
# to the right, and to the left as a run that starts after a non-label character and ends at the anchor.
_RUN = f"{LABEL_RANGES}.{DEFANGED_DOT}"
IDN_RUN_RIGHT = re.compile(f"[{_RUN}]{{0,256}}+")
IDN_RUN_LEFT = re.compile(f"(?<![{_RUN}])[{_RUN}]{{0,256}}+\\Z")
# `www。例子。中国`: the ideographic full stop joins labels after a `www` label.
WWW_IDN = re.compile(rf"(?<![A-Za-z0-9\-.])www[.\u3002{DEFANGED_DOT}]({_IDN_HOST})", re.I)
FILE_EXTS = (
    "exe|dll|sys|scr|com|bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|hta|jar|msi|lnk|cpl|ocx|elf|so|sh|py|pl|"
    "apk|ipa|dmg|pkg|deb|rpm|doc|docx|docm|xls|xlsx|xlsm|xlsb|ppt|pptx|pptm|pdf|rtf|one|chm|iso|img|vhd|"
    "vhdx|zip|rar|7z|gz|tgz|tar|cab|bin|dat|tmp|md|txt|csv|html?|php|aspx?|jsp"
)
FILE_EXT_SET = frozenset(FILE_EXTS.replace("html?", "html|htm").replace("aspx?", "asp|aspx").split("|"))
FILE = re.compile(
    r"(?<![A-Za-z0-9_.\-@/$%])[A-Za-z0-9_\-$~]{1,100}+(?:\.[A-Za-z0-9_\-$~]{1,60}+)++"
    r"(?![A-Za-z0-9_\-])"
)

"""Build Accord's labeled extraction corpus (written by the Accord project, CC0-1.0).

Every sentence template below was written for this corpus. Indicator values are generated from a
fixed seed (documentation IP ranges, invented domains, random hashes), then written in the surface
forms partners actually send: defanged, Arabic-Indic or full-width digits, ideographic dots, glued to
Han/Arabic text, with bidi and zero-width marks. The gold label is the canonical value the generator
inserted, so labels never come from any extractor. Traps (versions, OIDs, detection names, file names
on real TLDs...) are inserted with no label, or with the label they really are (a file name).

    python tests/corpus/build_corpus.py        # rewrites docs/ and labels.json deterministically

Building needs fpdf2, uharfbuzz, fontTools and idna (PyPI) plus the Debian fonts fonts-dejavu-core and
fonts-wqy-microhei; reading the result needs only accord.extract.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).parent
DOCS = HERE / "docs"

WORDS = ["secure", "update", "cloud", "login", "portal", "mail", "cdn", "files", "sync", "office", "bank",
         "verify", "account", "service", "news", "data", "track", "api", "micro", "soft", "net", "web",
         "host", "store", "gov", "alpha", "delta", "orion", "nova", "zen", "lotus", "jade", "falcon", "amber"]
TLDS = ["com", "net", "org", "ru", "cn", "info", "xyz", "top", "io", "de", "ir", "sa", "ae", "eg", "online",
        "site", "club", "biz", "me", "co"]
EXTS = ["exe", "dll", "docm", "xlsx", "ps1", "vbs", "lnk", "hta", "js", "jar", "iso", "rar", "bat", "scr"]
REG = [r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run", r"HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce",
       r"HKLM\SYSTEM\CurrentControlSet\Services\WinDefend", r"HKCU\Software\Classes\ms-settings\shell\open\command",
       r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender"]
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FW = {c: chr(ord(c) + 0xFEE0) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.@:/-"}


def base58check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def bech32(data: list[int]) -> str:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    values = [3, 3, 0, 2, 3] + data + [0] * 6  # hrp "bc" expanded
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    mod = chk ^ 1
    return "bc1" + "".join(BECH[d] for d in data + [(mod >> 5 * (5 - i)) & 31 for i in range(6)])


class Gen:
    """Random but reproducible indicator values (canonical form) and their written surface forms."""

    def __init__(self, seed: int, lang: str) -> None:
        self.r = random.Random(seed)
        self.lang = lang

    # canonical values -----------------------------------------------------------------------
    def ipv4(self) -> str:
        first = self.r.choice([5, 23, 31, 37, 45, 62, 77, 81, 91, 103, 109, 139, 141, 176, 185, 193, 203, 212])
        return f"{first}.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"

    def domain(self) -> str:
        parts = self.r.sample(WORDS, self.r.choice([1, 2, 2]))
        name = "-".join(parts) if self.r.random() < 0.3 else "".join(parts)
        sub = self.r.choice(["", "", "", "www.", "cdn.", "mail.", "api."])
        return f"{sub}{name}{self.r.randint(1, 99) if self.r.random() < 0.3 else ''}.{self.r.choice(TLDS)}"

    def url(self) -> str:
        host = self.domain() if self.r.random() < 0.8 else self.ipv4()
        path = "/".join(self.r.sample(["gate", "panel", "upload", "wp-content", "img", "api", "v2", "load", "x"], 2))
        tail = self.r.choice(["", ".php", "?id=" + str(self.r.randint(100, 9999)), "/"])
        return f"{self.r.choice(['http', 'https'])}://{host}/{path}{tail}"

    def email(self) -> str:
        user = self.r.choice(["admin", "support", "billing", "hr.dept", "noreply", "ops", "j.smith", "finance"])
        return f"{user}{self.r.randint(1, 99)}@{self.domain()}"

    def hexhash(self, n: int) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def cve(self) -> str:
        return f"CVE-{self.r.randint(2014, 2025)}-{self.r.randint(1000, 49999)}"

    def attack(self) -> str:
        t = f"T{self.r.randint(1001, 1649)}"
        return t + (f".{self.r.randint(1, 12):03d}" if self.r.random() < 0.5 else "")

    def btc(self) -> str:
        if self.r.random() < 0.5:
            return base58check(bytes([self.r.choice([0, 5])]) + bytes(self.r.randrange(256) for _ in range(20)))
        return bech32([0] + [self.r.randrange(32) for _ in range(32)])

    def file(self) -> str:
        stem = self.r.choice(["invoice", "update", "setup", "svchost_", "payload", "report_2024", "loader", "scan"])
        return f"{stem}{self.r.randint(1, 9)}.{self.r.choice(EXTS)}"

    def asn(self) -> str:
        return f"AS{self.r.randint(1000, 210000)}"

    def ipv6(self) -> str:
        return f"2001:db8:{self.r.randint(1, 0xffff):x}::{self.r.randint(1, 0xffff):x}"

    def cidr(self) -> str:
        a = self.ipv4().rsplit(".", 2)[0]
        return f"{a}.0.0/16"

    # surface forms -----------------------------------------------------------------------------
    def defang_host(self, host: str) -> str:
        style = self.r.random()
        if style < 0.35:
            return host
        if style < 0.6:
            head, _, tld = host.rpartition(".")
            return f"{head}[.]{tld}"
        if style < 0.75:
            return host.replace(".", "[.]")
        if style < 0.85:
            return host.replace(".", "(.)")
        if style < 0.92:
            return host.replace(".", "[dot]")
        return host.replace(".", "{.}")

    def write(self, kind: str, value: str) -> str:
        """A written form of `value` typical of the document's language."""
        r = self.r.random()
        if kind in ("ipv4", "domain"):
            text = self.defang_host(value)
            if self.lang == "ar" and kind == "ipv4" and r < 0.35:
                text = value.translate(AR_DIGITS).replace(".", "٫" if r < 0.15 else ".")
            if self.lang == "zh" and r < 0.3:
                text = "".join(FW.get(c, c) for c in value)
            elif self.lang == "zh" and r < 0.45:
                text = value.replace(".", "。")
            return text
        if kind == "url":
            scheme, rest = value.split("://", 1)
            host, slash, path = rest.partition("/")
            scheme = {"http": self.r.choice(["http", "hxxp", "hXXp"]), "https": self.r.choice(["https", "hxxps"])}[scheme]
            sep = "[://]" if r < 0.1 else ("[:]//" if r < 0.2 else "://")
            return f"{scheme}{sep}{self.defang_host(host)}{slash}{path}"
        if kind == "email":
            user, host = value.split("@")
            at = self.r.choice(["@", "@", "[at]", "(at)", "[@]"])
            if self.lang == "zh" and r < 0.3:
                at = "＠"
            return f"{user}{at}{self.defang_host(host)}"
        if kind in ("md5", "sha1", "sha256", "sha512"):
            return value.upper() if r < 0.3 else value
        if kind == "cve" and r < 0.2:
            return value.lower()
        if kind == "cve" and self.lang == "zh" and r < 0.4:
            return "".join(FW.get(c, c) for c in value)
        return value


PROSE = {
    "en": [
        "The campaign was first observed by partner CERTs in the second quarter.",
        "Investigators believe the operators reused infrastructure from an earlier fraud scheme.",
        "Victims were mainly small municipalities and regional hospitals.",
        "The dropper is delivered through a spear-phishing attachment that imitates a tax notice.",
        "Once executed, the implant contacts its command server every fifteen minutes.",
        "Analysts at the meeting at noon agreed to share the findings with law enforcement.",
        "Network defenders should block the indicators below and review proxy logs.",
        "The group monetises access by selling it on underground forums.",
        "Several of the servers were hosted with a bulletproof provider.",
        "Persistence is achieved through a scheduled task and a registry run key.",
        "Prosecutors in two countries have opened a joint investigation.",
        "The malware checks the keyboard layout before it encrypts any files.",
    ],
    "ar": [
        "رصدت فرق الاستجابة للطوارئ الحملة لأول مرة خلال الربع الثاني من العام.",
        "يعتقد المحققون أن المهاجمين أعادوا استخدام بنية تحتية من عملية احتيال سابقة.",
        "استهدفت الهجمات بشكل رئيسي البلديات الصغيرة والمستشفيات الإقليمية.",
        "تصل البرمجية الخبيثة عبر رسالة تصيد موجه تنتحل صفة إشعار ضريبي.",
        "بعد التشغيل يتصل البرنامج بخادم التحكم كل خمس عشرة دقيقة.",
        "ينبغي لفرق الدفاع حظر المؤشرات التالية ومراجعة سجلات الوكيل.",
        "تبيع المجموعة صلاحيات الوصول في المنتديات السرية على الإنترنت.",
        "استضيفت عدة خوادم لدى مزود خدمة لا يستجيب لطلبات الإزالة.",
        "فتحت النيابة العامة في بلدين تحقيقا مشتركا في القضية.",
        "تتحقق البرمجية من لغة لوحة المفاتيح قبل تشفير الملفات.",
        "أكد المركز الوطني للأمن السيبراني أن التحقيق ما زال جاريا.",
        "دعت الهيئة المؤسسات إلى تحديث أنظمتها بشكل عاجل.",
    ],
    "zh": [
        "该攻击活动于今年第二季度首次被多个国家的应急响应中心发现。",
        "调查人员认为攻击者重复使用了此前诈骗活动中的基础设施。",
        "受害者主要是小型地方政府机构和地区医院。",
        "恶意程序通过伪装成税务通知的鱼叉式钓鱼邮件附件投递。",
        "植入程序运行后每十五分钟连接一次控制服务器。",
        "建议网络防御人员封锁以下指标并检查代理日志。",
        "该团伙在地下论坛出售其获取的访问权限以牟利。",
        "其中数台服务器托管在不配合下架请求的服务商处。",
        "两国检察机关已就此案展开联合调查。",
        "该恶意软件在加密文件前会检查键盘布局。",
        "国家互联网应急中心表示调查仍在进行中。",
        "相关单位应尽快更新系统补丁。",
    ],
}

LEADS = {
    "en": {
        "ipv4": ["The implant beacons to {}.", "Traffic was observed to {} on port 443.", "Scanning originated from {}"],
        "domain": ["The command server resolves as {}.", "Phishing pages were hosted on {}", "Block the domain {} at the proxy."],
        "url": ["The payload is downloaded from {}", "Victims were redirected to {} .", "Stage two lives at ({})."],
        "email": ["Phishing mails were sent from {}.", "The ransom note asks victims to write to {}"],
        "md5": ["MD5: {}", "The loader has the MD5 hash {}."],
        "sha1": ["SHA-1 {}", "A second sample (SHA1: {}) was recovered."],
        "sha256": ["SHA256: {}", "The dropper's SHA-256 is {}."],
        "sha512": ["SHA-512 of the archive: {}"],
        "cve": ["The actors exploit {} in exposed VPN appliances.", "Patch {} immediately."],
        "attack": ["This maps to ATT&CK technique {}.", "Execution uses {} (command interpreter)."],
        "btc": ["Payments go to the wallet {}.", "Ransom is demanded in bitcoin to {}"],
        "file": ["The attachment is named {}.", "A file called {} is dropped in the temp folder."],
        "registry": ["Persistence is set in {}.", "The key {} is modified."],
        "asn": ["Most servers sit in {}.", "The hosting network is {} ."],
        "ipv6": ["An IPv6 endpoint {} was also used."],
        "cidr": ["The whole range {} should be blocked."],
    },
    "ar": {
        "ipv4": ["يتصل البرنامج بالعنوان {}.", "رُصدت حركة نحو{} على المنفذ ٤٤٣.", "انطلق المسح من العنوان {}، وفق التقرير."],
        "domain": ["يستخدم المهاجمون النطاق {} للتحكم.", "استضيفت صفحات التصيد على{}.", "يجب حظر النطاق \u200f{}\u200f فورا."],
        "url": ["تُحمّل البرمجية من الرابط {} ثم تُنفذ.", "أعيد توجيه الضحايا إلى {}، حسب التحقيق."],
        "email": ["أرسلت رسائل التصيد من العنوان {}.", "تطلب رسالة الفدية مراسلة {}، لاستعادة الملفات."],
        "md5": ["بصمة MD5 للملف: {}", "قيمة التجزئة {}، للعينة الأولى."],
        "sha1": ["بصمة SHA1 هي {}."],
        "sha256": ["بصمة SHA256 للعينة {}.", "التجزئة: {}؛ للملف المرفق."],
        "sha512": ["بصمة SHA512 للأرشيف {}."],
        "cve": ["استغل المهاجمون الثغرة {} في أجهزة الشبكات الافتراضية.", "يجب ترقيع الثغرة{} بشكل عاجل."],
        "attack": ["يتوافق ذلك مع التقنية {} في إطار ATT&CK."],
        "btc": ["تُدفع الفدية إلى المحفظة {}."],
        "file": ["يحمل المرفق اسم {}.", "يُسقط البرنامج ملفا باسم {} في المجلد المؤقت."],
        "registry": ["تتحقق الاستمرارية عبر المفتاح {}."],
        "asn": ["تقع معظم الخوادم في الشبكة {}."],
        "ipv6": ["استُخدم أيضا عنوان IPv6 هو {}."],
        "cidr": ["يجب حظر النطاق الكامل {}."],
    },
    "zh": {
        "ipv4": ["植入程序连接到{}。", "发现流向{}的443端口流量，", "扫描来源于IP地址{}，"],
        "domain": ["控制服务器域名为{}。", "钓鱼页面托管在{}上。", "请在代理处封锁域名{}，"],
        "url": ["载荷从{}下载。", "受害者被重定向到{} 。", "第二阶段位于（{}）。"],
        "email": ["钓鱼邮件发件人为{}。", "勒索信要求受害者联系{}，"],
        "md5": ["样本MD5：{}", "加载器的MD5值为{}。"],
        "sha1": ["SHA1：{}"],
        "sha256": ["投放器的SHA256为{}。", "哈希值{}，"],
        "sha512": ["压缩包的SHA512为{}。"],
        "cve": ["攻击者利用{}漏洞入侵VPN设备。", "请立即修补{}。"],
        "attack": ["该行为对应ATT&CK技术{}。"],
        "btc": ["赎金支付到比特币钱包{}。"],
        "file": ["附件名为{}。", "程序在临时目录释放文件{}，"],
        "registry": ["通过注册表键{}实现持久化。"],
        "asn": ["大部分服务器位于{}网络。"],
        "ipv6": ["还使用了IPv6地址{}。"],
        "cidr": ["应封锁整个网段{}。"],
    },
}

# Traps: text that looks like an indicator but is not one (label: what it really is, usually nothing).
TRAPS = {
    "en": [
        ("Upgrade the client to version 2.4.0.1 or later.", {}),
        ("Node v16.11.34 is not affected.", {}),
        ("The certificate policy OID 1.3.6.1.4.1.311.21.8 is abused.", {}),
        ("See section 3.2.1.4 of the advisory.", {}),
        ("Logs dated 2023.10.15 show the first login at 12.30.45.", {}),
        ("Detected as W32/SilkLoader.CA!tr and Trojan:Win32/Wacatac.B!ml by vendors.", {}),
        ("Internal hosts such as fileserver.local and dc01.corp were enumerated.", {}),
        ("Open readme.md and report.zip only in a sandbox.", {"file": ["readme.md", "report.zip"]}),
        ("A value of 256.301.12.4 in the log is a parsing artefact.", {}),
        ("The blob 4d5a90000300000004000000ffff0000b800000000000000400000000000000000000000 is the PE header.", {}),
        ("The admin was reached at home, and the dot com boom is long over.", {}),
        ("The attack ended.Then the operators left.", {}),
    ],
    "ar": [
        ("يجب التحديث إلى الإصدار 2.4.0.1 أو أحدث.", {}),
        ("النسخة 3.1.2.5 غير متأثرة.", {}),
        ("راجع البند 4.2.1.3 من النشرة.", {}),
        ("كشفت برامج الحماية العينة باسم W32/SilkLoader.CA!tr.", {}),
        ("تم تعداد الأجهزة الداخلية مثل fileserver.local.", {}),
        ("لا تفتح الملف report.zip إلا في بيئة معزولة.", {"file": ["report.zip"]}),
        ("مع الولايات المتحدة.ونفى المتحدث أي تورط.", {}),
        ("التاريخ 2023.10.15 هو تاريخ أول دخول.", {}),
    ],
    "zh": [
        ("请将客户端升级到版本2.4.0.1或更高。", {}),
        ("详见第4.2.1.3节。", {}),
        ("杀毒软件将其检测为W32/SilkLoader.CA!tr。", {}),
        ("内部主机fileserver.local被枚举。", {}),
        ("请仅在沙箱中打开readme.md文件。", {"file": ["readme.md"]}),
        ("日志日期为2023.10.15。", {}),
        ("证书策略OID为1.3.6.1.4.1.311.21.8。", {}),
        ("数值256.301.12.4是解析错误。", {}),
    ],
}

TITLES = {
    "en": "Advisory {n}: {topic}",
    "ar": "نشرة تحذيرية رقم {n}: {topic}",
    "zh": "安全通报第{n}号：{topic}",
}
TOPICS = {
    "en": ["ransomware against hospitals", "banking trojan campaign", "phishing kit takedown", "botnet disruption",
           "supply-chain intrusion", "business email compromise"],
    "ar": ["برمجيات الفدية ضد المستشفيات", "حملة حصان طروادة مصرفي", "تفكيك شبكة روبوتات", "اختراق سلسلة التوريد"],
    "zh": ["针对医院的勒索软件", "银行木马活动", "钓鱼工具包", "僵尸网络打击行动", "供应链入侵"],
}

KINDS = ["ipv4", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "cve", "attack", "btc", "file",
         "registry", "asn", "ipv6", "cidr"]
WEIGHTS = [6, 6, 5, 3, 3, 2, 3, 1, 3, 2, 1, 2, 1, 1, 1, 1]


def add_invisible(g: Gen, text: str, lang: str) -> str:
    """Occasionally split an indicator with a zero-width space or soft hyphen (copy-paste damage)."""
    if lang != "en" and len(text) > 6 and g.r.random() < 0.15:
        i = g.r.randint(2, len(text) - 2)
        return text[:i] + g.r.choice(["\u200b", "\u00ad", "\u200c"]) + text[i:]
    return text


def make_doc(n: int, lang: str) -> tuple[str, dict[str, set[str]], list[str]]:
    """Returns (title, gold, paragraphs)."""
    g = Gen(1000 * n + {"en": 1, "ar": 2, "zh": 3}[lang], lang)
    gold: dict[str, set[str]] = {}
    sentences = [g.r.choice(PROSE[lang]) for _ in range(3)]
    for _ in range(g.r.randint(6, 12)):
        kind = g.r.choices(KINDS, WEIGHTS)[0]
        value = {
            "md5": lambda: g.hexhash(32), "sha1": lambda: g.hexhash(40), "sha256": lambda: g.hexhash(64),
            "sha512": lambda: g.hexhash(128), "registry": lambda: g.r.choice(REG),
        }.get(kind, getattr(g, kind, None))()
        written = add_invisible(g, g.write(kind, value), lang) if kind not in ("registry",) else value
        sentences.append(g.r.choice(LEADS[lang][kind]).format(written))
        gold.setdefault(kind, set()).add(value.lower() if kind in ("domain", "email") else value)
        if g.r.random() < 0.5:
            sentences.append(g.r.choice(PROSE[lang]))
    for trap, labels in g.r.sample(TRAPS[lang], 3):
        sentences.insert(g.r.randint(0, len(sentences)), trap)
        for kind, values in labels.items():
            gold.setdefault(kind, set()).update(values)
    if lang == "ar" and g.r.random() < 0.5:
        sentences = ["\u200f" + s for s in sentences]
    paras, cur = [], []
    for s in sentences:
        cur.append(s)
        if g.r.random() < 0.3:
            paras.append(cur)
            cur = []
    if cur:
        paras.append(cur)
    sep = "" if lang == "zh" else " "
    title = TITLES[lang].format(n=n, topic=g.r.choice(TOPICS[lang]))
    return title, gold, [sep.join(p) for p in paras]


def to_html(title: str, paras: list[str], lang: str, table: bool) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paras)
    if table:
        # indicators in adjacent table cells must not merge
        body += "<table><tr><th>#</th><th>note</th></tr><tr><td>1</td><td>see above</td></tr></table>\n"
    direction = ' dir="rtl"' if lang == "ar" else ""
    return (f'<!DOCTYPE html><html lang="{lang}"{direction}><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>p {{ margin: 0 }}</style><script>var tracker='http://analytics.example-tracker.com/t.js';"
            f"</script></head><body><h1>{title}</h1>\n{body}</body></html>\n")


def _cjk_font() -> str:
    """First face of WenQuanYi Micro Hei (Debian fonts-wqy-microhei) as a TrueType file."""
    out = Path("/tmp/accord-corpus-wqy.ttf")
    if not out.exists():
        from fontTools.ttLib import TTCollection

        TTCollection("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").fonts[0].save(str(out))
    return str(out)


def to_pdf(title: str, paras: list[str], path: Path, lang: str) -> None:
    """PDF via fpdf2: DejaVu Sans (Latin, Arabic shaped with HarfBuzz), WenQuanYi for Chinese."""
    from fpdf import FPDF

    # Chinese lines may break between any two characters, which would cut indicators in half; a wide
    # page keeps each paragraph on one line, as a typesetter that never breaks inside Latin words would.
    pdf = FPDF(format=(1200, 297) if lang == "zh" else "A4")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=timezone.utc))  # byte-identical rebuilds
    pdf.add_page()
    if lang == "zh":
        pdf.add_font("body", fname=_cjk_font())
    else:
        pdf.add_font("body", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if lang == "ar":
        pdf.set_text_shaping(True)
    pdf.set_font("body", size=7)
    for p in [title, *paras]:
        pdf.write(5, p)
        pdf.ln(7)
    pdf.output(str(path))


def write_doc(path: Path, fmt: str, lang: str, title: str, paras: list[str], n: int) -> None:
    """One document in its format; every fifth plain-text one in the language's legacy encoding."""
    if fmt == "html":
        path.write_text(to_html(title, paras, lang, table=n % 2 == 0), encoding="utf-8")
    elif fmt == "pdf":
        to_pdf(title, paras, path, lang)
    elif fmt == "md":
        path.write_text(f"# {title}\n\n" + "\n\n".join(f"* {p}" for p in paras) + "\n", encoding="utf-8")
    else:
        enc = {"en": "utf-8", "ar": "windows-1256", "zh": "gb18030"}[lang] if n % 5 == 0 else "utf-8"
        text = title + "\n\n" + "\n\n".join(paras) + "\n"
        try:
            path.write_bytes(text.encode(enc))
        except UnicodeEncodeError:
            path.write_bytes(text.encode("utf-8"))


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for old in DOCS.iterdir():
        old.unlink()
    labels = {}
    plan = {"en": ["txt"] * 10 + ["html"] * 6 + ["pdf"] * 4 + ["md"] * 2,
            "ar": ["txt"] * 10 + ["html"] * 6 + ["pdf"] * 4 + ["md"] * 2,
            "zh": ["txt"] * 10 + ["html"] * 6 + ["pdf"] * 4 + ["md"] * 2}
    n = 0
    for lang, formats in plan.items():
        for fmt in formats:
            n += 1
            title, gold, paras = make_doc(n, lang)
            name = f"{lang}-{n:03d}.{fmt}"
            write_doc(DOCS / name, fmt, lang, title, paras, n)
            labels[name] = {"lang": lang, "indicators": {k: sorted(v) for k, v in sorted(gold.items())}}
    from handwritten import DOCS as HANDWRITTEN

    for name, (text, gold) in HANDWRITTEN.items():
        (DOCS / name).write_text(text, encoding="utf-8")
        labels[name] = {"lang": name[:2], "indicators": {k: sorted(v) for k, v in sorted(gold.items())}}
    from extra_docs import documents

    for i, (name, lang, fmt, title, gold, paras) in enumerate(documents(), 1):
        write_doc(DOCS / name, fmt, lang, title, paras, i)
        labels[name] = {"lang": lang, "indicators": {k: sorted(v) for k, v in sorted(gold.items())}}
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(labels)} documents")


if __name__ == "__main__":
    main()

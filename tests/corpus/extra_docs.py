"""More corpus documents (Accord project, CC0-1.0): internationalised domain names, new TLDs, and
Arabic PDFs whose right-to-left lines hold mixed-direction indicators.

Same method as build_corpus.py: sentence templates written for this corpus, values from a fixed seed,
gold labels = the canonical values inserted. IDN values are checked with `idna` (UTS 46) when built.
Each IDN is written the ways reports write them: Unicode, punycode (`xn--`, any case), defanged
(`例子[.]中国`), after `www.`, inside URLs and e-mail addresses (where `。` may join labels), glued to
Latin or Han text at a change of script. Traps: Chinese prose whose `。` or `．` full stop sits before
a word that is also a TLD (`公司`, `网络`), an Arabic sentence end glued to the next word, version
numbers glued to Han text, hosts on non-existent TLDs.
"""

from __future__ import annotations

import idna
from build_corpus import AR_DIGITS, Gen

ZH_LABELS = ["安全更新", "云端登录", "网上银行", "快递查询", "税务通知", "账户验证", "办公邮箱", "下载中心",
             "客服中心", "积分兑换", "政务服务", "中文网"]
AR_LABELS = ["بنك-الرياض", "تحديث", "بريد-الشركة", "تتبع-الشحنات", "الدفع", "خدمة-العملاء", "مكافآت", "بوابة",
             "تسجيل-الدخول", "حسابي"]
LATIN_LABELS = ["münchen-bank", "zahlung-prüfen", "café-paiement", "bücherdienst", "сбербанк-вход", "почта"]
ZH_TLDS = ["中国", "公司", "网络", "在线", "信息", "com", "net", "cn", "com.cn"]
AR_TLDS = ["مصر", "السعودية", "امارات", "شبكة", "موقع", "com", "net", "قطر", "البحرين"]
LATIN_TLDS = {"münchen-bank": "de", "zahlung-prüfen": "com", "café-paiement": "fr", "bücherdienst": "de",
              "сбербанк-вход": "рф", "почта": "онлайн"}
# Delegated (or listed as TLDs) after the 2019 Public Suffix List that Accord used before.
NEW_TLDS = ["ye", "bd", "kh", "hotel", "music", "kids"]


class IdnGen(Gen):
    """Adds Unicode host names (canonical form) and their written forms to the corpus generator."""

    def idn(self, script: str) -> str:
        if script == "zh":
            host = f"{self.r.choice(ZH_LABELS)}.{self.r.choice(ZH_TLDS)}"
        elif script == "ar":
            host = f"{self.r.choice(AR_LABELS)}.{self.r.choice(AR_TLDS)}"
        else:
            label = self.r.choice(LATIN_LABELS)
            host = f"{label}.{LATIN_TLDS[label]}"
        if self.r.random() < 0.2:
            host = self.r.choice(["www.", "cdn.", "pay."]) + host
        assert idna.decode(idna.encode(host, uts46=True)) == host, host
        return host

    def new_tld_domain(self) -> str:
        return f"{self.r.choice(['pay', 'login', 'secure', 'track', 'portal'])}-{self.r.randint(1, 99)}." \
               f"{self.r.choice(NEW_TLDS)}"

    def write_idn(self, host: str) -> str:
        """Unicode, punycode (lower or upper case) or defanged; `。` is never a plain separator here."""
        r = self.r.random()
        if r < 0.2:
            return idna.encode(host, uts46=True).decode()
        if r < 0.27:
            return idna.encode(host, uts46=True).decode().upper()
        if r < 0.5:
            head, _, tld = host.rpartition(".")
            return f"{head}[.]{tld}"
        return host


def _unicode_url(g: IdnGen, host: str) -> tuple[str, str]:
    """(canonical URL, written URL) for a Unicode host; `。` joins the labels in a third of Chinese ones."""
    path = "/".join(g.r.sample(["login", "verify", "pay", "gate", "api", "v2"], 2))
    canon = f"{g.r.choice(['http', 'https'])}://{host}/{path}"
    scheme, rest = canon.split("://")
    written_host = host
    r = g.r.random()
    if g.lang == "zh" and r < 0.35:
        written_host = host.replace(".", "。")
    elif r < 0.6:
        head, _, tld = host.rpartition(".")
        written_host = f"{head}[.]{tld}"
    return canon, f"{scheme.replace('http', g.r.choice(['http', 'hxxp']))}://{written_host}/{path}"


# Sentence templates: (kind, template); "{}" is the written value.
IDN_LEADS = {
    "en": [
        ("domain", "The lure site {} imitates a parcel service."),
        ("domain", "Block {} at the resolver."),
        ("domain", "Victims were sent to {}, a look-alike of the bank's portal."),
        ("url", "Payments were requested at {} during the campaign."),
        ("email", "The ransom note asks victims to write to {} for the key."),
    ],
    "ar": [
        ("domain", "يستخدم المهاجمون النطاق {} للتحكم."),
        ("domain", "استضيفت صفحات التصيد على {}، وفق التقرير."),
        ("domain", "يجب حظر النطاق \u200f{}\u200f فورا."),
        ("url", "تُحمّل البرمجية من الرابط {} ثم تُنفذ."),
        ("email", "أرسلت رسائل التصيد من العنوان {}."),
    ],
    "zh": [
        ("domain", "钓鱼网站使用域名 {} ，请立即封锁。"),
        ("domain", "仿冒页面位于“{}”。"),
        ("domain", "恶意域名：{}\n"),
        ("domain", "请封锁（{}）上的页面。"),
        ("url", "载荷从{}下载。"),
        ("email", "勒索信要求受害者联系{}，"),
    ],
}
# Written glued to text at a change of script, or marked by `www.`: (kind, template, how).
GLUED = {
    "en": [],
    "ar": [("domain", "يتصل البرنامج بالخادمhost{}", "ascii-label")],
    "zh": [("domain", "请访问{}获取更新。", "www"), ("domain", "伪装成 {}的网站", "ascii-tld"),
           ("domain", "控制服务器 {}上的页面已下线。", "defanged")],
}
IDN_TRAPS = {
    "en": [
        ("Internal hosts such as bücher.intern and почта.local were enumerated.", {}),
        ("The Chinese statement read 他们来自中国。公司发言人未予置评。 and nothing more.", {}),
        ("The string xn--abc-.com in the log is malformed punycode.", {}),
    ],
    "ar": [
        ("مع الولايات المتحدة.ونفى المتحدث أي تورط.", {}),
        ("أكد التقرير.الجزء الثاني يتناول الأدلة.", {}),
        ("يجب التحديث إلى الإصدار 2.4.0.1 أو أحدث.", {}),
    ],
    "zh": [
        ("他们来自中国。公司发言人未予置评。", {}),
        ("该公司。网络安全团队表示将配合调查。", {}),
        ("本次事件影响较大．公司已经报警。", {}),
        ("请升级到版本2.0.中文版。", {}),
        ("内部主机文件服务器.local被枚举。", {}),
    ],
}
ASCII_KINDS = ["ipv4", "md5", "sha256", "cve", "file"]


def make_idn_doc(n: int, lang: str) -> tuple[str, dict[str, set[str]], list[str]]:
    """Title, gold labels and paragraphs of one IDN document."""
    from build_corpus import LEADS, PROSE, TITLES, TOPICS

    g = IdnGen(7000 + 10 * n + {"en": 1, "ar": 2, "zh": 3}[lang], lang)
    gold: dict[str, set[str]] = {}
    scripts = {"en": ["latin", "zh", "ar", "latin"], "ar": ["ar", "ar", "ar", "latin"], "zh": ["zh", "zh", "zh", "latin"]}
    sentences = [g.r.choice(PROSE[lang]) for _ in range(2)]
    for _ in range(g.r.randint(6, 9)):
        kind, template = g.r.choice(IDN_LEADS[lang])
        host = g.idn(g.r.choice(scripts[lang])) if g.r.random() < 0.85 else g.new_tld_domain()
        if kind == "domain":
            value, written = host, g.write_idn(host)
        elif kind == "url":
            value, written = _unicode_url(g, host.removeprefix("www."))
        else:
            host = host.removeprefix("www.")
            user = g.r.choice(["admin", "support", "billing", "ops"])
            sep = "@" if g.r.random() < 0.6 else g.r.choice(["[at]", "(at)"])
            value, written = f"{user}@{host}", f"{user}{sep}{g.write_idn(host) if g.r.random() < 0.5 else host}"
        sentences.append(template.format(written))
        gold.setdefault(kind, set()).add(value)
    for kind, template, how in GLUED[lang]:
        if how == "www":
            host = "www." + g.idn("zh").removeprefix("www.").removeprefix("cdn.").removeprefix("pay.")
            written = host
        elif how == "ascii-tld":
            host = f"{g.r.choice(ZH_LABELS)}.{g.r.choice(['com', 'net'])}"
            written = host
        elif how == "defanged":
            host = g.idn("zh")
            head, _, tld = host.rpartition(".")
            written = f"{head}[.]{tld}"
        else:  # an ASCII label under an Arabic TLD, glued to the Arabic word before it
            host = f"{g.r.choice(['gate', 'cdn', 'relay'])}{g.r.randint(1, 9)}.{g.r.choice(['مصر', 'شبكة', 'قطر'])}"
            written = host
            template = template.replace("host", "")
        sentences.append(template.format(written))
        gold.setdefault(kind, set()).add(host)
    for _ in range(2):  # a few ordinary indicators so the documents read like the others
        kind = g.r.choice(ASCII_KINDS)
        value = {"md5": lambda: g.hexhash(32), "sha256": lambda: g.hexhash(64)}.get(kind, getattr(g, kind, None))()
        sentences.append(g.r.choice(LEADS[lang][kind]).format(g.write(kind, value)))
        gold.setdefault(kind, set()).add(value)
    for trap, labels in g.r.sample(IDN_TRAPS[lang], 2):
        sentences.insert(g.r.randint(0, len(sentences)), trap)
        for kind, values in labels.items():
            gold.setdefault(kind, set()).update(values)
    g.r.shuffle(sentences)
    sep = "" if lang == "zh" else " "
    paras = [sep.join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    title = TITLES[lang].format(n=n, topic=g.r.choice(TOPICS[lang]))
    return title, gold, paras


# Arabic PDFs: right-to-left lines holding what bidi re-ordering scrambles most. (kind, template)
BIDI_LEADS = [
    ("url", "تُحمّل البرمجية من الرابط {} ثم تُنفذ."),
    ("url", "أعيد توجيه الضحايا إلى {}، حسب التحقيق."),
    ("ipv4", "يتصل البرنامج بالعنوان {} كل ساعة."),
    ("ipv4", "رُصدت حركة نحو {}، وفق السجلات."),
    ("ipport", "يستمع الخادم على {} منذ أسبوع."),
    ("cidr", "يجب حظر النطاق الكامل {} فورا."),
    ("ipv6", "استُخدم أيضا عنوان IPv6 هو {} للاتصال."),
    ("email", "تطلب رسالة الفدية مراسلة {}، لاستعادة الملفات."),
    ("sha256", "بصمة SHA256 للعينة {} حسب المختبر."),
    ("md5", "قيمة التجزئة {}، للعينة الأولى."),
    ("cve", "استغل المهاجمون الثغرة {} في أجهزة الشبكات."),
    ("attack", "يتوافق ذلك مع التقنية {} في إطار ATT&CK."),
    ("domain", "يستخدم المهاجمون النطاق {} للتحكم."),
]
BIDI_TRAPS = [
    "يجب التحديث إلى الإصدار 2.4.0.1 أو أحدث.",
    "راجع البند 4.2.1.3 من النشرة.",
    "التاريخ 2023-10-15 هو تاريخ أول دخول.",
    "كشفت برامج الحماية العينة باسم W32/SilkLoader.CA!tr.",
]


def make_bidi_doc(n: int) -> tuple[str, dict[str, set[str]], list[str]]:
    """An Arabic document of mixed-direction indicators, for a PDF."""
    from build_corpus import PROSE, TITLES, TOPICS

    g = IdnGen(9000 + n, "ar")
    gold: dict[str, set[str]] = {}
    sentences = [g.r.choice(PROSE["ar"]) for _ in range(2)]
    for kind, template in g.r.sample(BIDI_LEADS, 9):
        if kind == "url":
            value = g.url().split("?")[0].rstrip("/").removesuffix(".php") + g.r.choice(["/", "/", "?id=7&lang=ar"])
            scheme, rest = value.split("://")
            host, _, path = rest.partition("/")
            written = f"{scheme.replace('http', 'hxxp')}://{g.defang_host(host)}/{path}"
        elif kind in ("ipv4", "ipport"):
            value = g.ipv4()
            written = g.r.choice([value, value.rsplit(".", 1)[0] + "[.]" + value.rsplit(".", 1)[1],
                                  value.replace(".", "[.]"), value.translate(AR_DIGITS)])
            if kind == "ipport":
                written = f"{value}:{g.r.choice([443, 8443, 4444])}"
            kind = "ipv4"
        elif kind == "email":
            value = f"{g.r.choice(['finance', 'office', 'billing'])}.{g.r.choice(['team', 'desk'])}@{g.domain()}"
            user, host = value.split("@")
            written = f"{user}[at]{g.defang_host(host)}"
        elif kind == "domain":
            value = g.idn("ar") if g.r.random() < 0.6 else g.domain()
            written = g.write_idn(value)
        elif kind in ("sha256", "md5"):
            value = g.hexhash(64 if kind == "sha256" else 32)
            written = value.upper() if g.r.random() < 0.5 else value
        else:
            value = getattr(g, kind)()
            written = value
        sentences.append(template.format(written))
        gold.setdefault(kind, set()).add(value)
    for trap in g.r.sample(BIDI_TRAPS, 2):
        sentences.insert(g.r.randint(0, len(sentences)), trap)
    paras = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    title = TITLES["ar"].format(n=n, topic=g.r.choice(TOPICS["ar"]))
    return title, gold, paras


def documents() -> list[tuple[str, str, str, str, dict[str, set[str]], list[str]]]:
    """(name, lang, format, title, gold, paragraphs) of every extra document."""
    out = []
    formats = {"en": ["txt", "html", "md", "txt"], "ar": ["txt", "html", "pdf", "txt"], "zh": ["txt", "html", "pdf", "txt"]}
    for lang, fmts in formats.items():
        for i, fmt in enumerate(fmts, 1):
            title, gold, paras = make_idn_doc(i, lang)
            out.append((f"{lang}-idn{i}.{fmt}", lang, fmt, title, gold, paras))
    for i in range(1, 5):
        title, gold, paras = make_bidi_doc(i)
        out.append((f"ar-bidi{i}.pdf", "ar", "pdf", title, gold, paras))
    return out


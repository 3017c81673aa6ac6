"""Internationalised domain names in Arabic and Han script: found in Unicode and in punycode, with the
boundary against glued prose decided by the rules of accord/extract/idn.py."""

import pytest

from accord.extract import find_indicators
from accord.extract.idn import resolve, to_unicode


def domains(text: str) -> list[str]:
    return find_indicators(text, types=["domain"]).get("domain", [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # delimited by spaces, quotes, brackets, a colon, Latin text
        ("控制服务器域名为 例子.中国 。", ["例子.中国"]),
        ("仿冒页面位于“工商银行.公司”。", ["工商银行.公司"]),
        ("请封锁（安全更新.网络）上的页面。", ["安全更新.网络"]),
        ("恶意域名：快递查询.在线\n", ["快递查询.在线"]),
        ("恶意域名：中文网.com，请封锁。", ["中文网.com"]),
        ("The lure site 例子.中国 imitates a bank.", ["例子.中国"]),
        ("يستخدم المهاجمون النطاق مثال.مصر للتحكم.", ["مثال.مصر"]),
        ("استضيفت صفحات التصيد على بنك-الرياض.السعودية، وفق التقرير.", ["بنك-الرياض.السعودية"]),
        ("يجب حظر النطاق \u200fمكافآت.امارات\u200f فورا.", ["مكافآت.امارات"]),
        # Unicode labels under ASCII suffixes, ASCII labels under IDN TLDs
        ("域名 客服中心.com.cn 已下线", ["客服中心.com.cn"]),
        ("يتصل البرنامج بالخادمgate5.مصر كل ساعة", ["gate5.مصر"]),
        # a change of script ends the host
        ("伪装成 网上银行.com的网站", ["网上银行.com"]),
        ("请访问www.例子.中国获取更新。", ["www.例子.中国"]),
        # a defanged dot marks a host, so a TLD glued to prose of its own script is cut after the TLD
        ("控制服务器 政务服务[.]信息上的页面已下线。", ["政务服务.信息"]),
        ("مثال[.]مصر", ["مثال.مصر"]),
        # ideographic full stop joins labels after www.
        ("www。例子。中国 是钓鱼网站", ["www.例子.中国"]),
        # TLDs listed after 2019
        (
            "حسابي.البحرين و pay-7.ye و login.bd و booking.hotel",
            ["booking.hotel", "login.bd", "pay-7.ye", "حسابي.البحرين"],
        ),
    ],
)
def test_unicode_domains_found(text: str, expected: list[str]) -> None:
    assert domains(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xn--fsqu00a.xn--fiqs8s", "例子.中国"),
        ("XN--FSQU00A.XN--FIQS8S", "例子.中国"),
        ("域名xn--fiq228c5hs.com上", "中文网.com"),
        ("النطاق xn--mgbh0fb.xn--wgbh1c للتحكم", "مثال.مصر"),
        ("Bücher.DE", "bücher.de"),
    ],
)
def test_punycode_canonicalises_to_unicode(text: str, expected: str) -> None:
    assert domains(text) == [expected]


def test_punycode_and_unicode_spellings_give_one_value() -> None:
    assert domains("例子.中国 and xn--fsqu00a.xn--fiqs8s and 例子[.]中国") == ["例子.中国"]


@pytest.mark.parametrize(
    "text",
    [
        "他们来自中国。公司发言人未予置评。",  # 。 is a full stop between Han words, not a dot
        "该公司。网络安全团队表示将配合调查。",
        "本次事件影响较大．公司已经报警。",  # full-width full stop before a clause
        "，托管在例子.中国，",  # clause of prose glued to the host: boundary unknowable, not guessed
        "访问 例子.中国获取更多信息",  # TLD glued to prose of its own script, nothing marks a host
        "请升级到版本2.0.中文版。",
        "2024年例子.中国",
        "مع الولايات المتحدة.ونفى المتحدث",
        "内部主机文件服务器.local被枚举。",
        "样本.zip",  # a file name
        "المتحدة.evil.com".replace("evil.com", "عربي.أمن"),  # not a TLD
    ],
)
def test_prose_is_not_a_domain(text: str) -> None:
    assert domains(text) == []


def test_sentence_end_before_ascii_host_left_to_ascii_rules() -> None:
    assert domains("مع الولايات المتحدة.evil.com") == ["evil.com"]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("载荷从hxxp://例子[.]中国/gate下载。", "url", "http://例子.中国/gate"),
        ("载荷从http://安全更新。网络/pay/verify下载。", "url", "http://安全更新.网络/pay/verify"),
        ("载荷从http://例子.中国下载。", "url", "http://例子.中国"),
        ("hxxps://مثال.السعودية/login", "url", "https://مثال.السعودية/login"),
        ("HTTP://XN--FSQU00A.XN--FIQS8S/a", "url", "http://例子.中国/a"),
        ("联系admin@例子。中国。下一句", "email", "admin@例子.中国"),
        ("support(at)مثال.امارات", "email", "support@مثال.امارات"),
        ("ransom@例子.网络，请", "email", "ransom@例子.网络"),
    ],
)
def test_urls_and_emails_with_unicode_hosts(text: str, kind: str, expected: str) -> None:
    found = find_indicators(text)
    assert found[kind] == [expected]
    assert "domain" not in found  # the host of a URL or e-mail is not repeated


def test_ascii_url_glued_to_han_prose_unchanged() -> None:
    assert find_indicators("见http://evil.com下载和http://evil.com，下一句")["url"] == ["http://evil.com"]


def test_resolve_reports_where_the_host_is() -> None:
    run = "访问www.例子.中国获取"
    host, start, end = resolve(run, "", marked=False, anchored=False, require_wide=True)
    assert (host, run[start:end]) == ("www.例子.中国", "www.例子.中国")


def test_to_unicode_validates_with_uts46() -> None:
    assert to_unicode("ＢＵＣＨ.de") == "buch.de"
    assert to_unicode("xn--zca.de") == "ß.de"
    assert to_unicode("ex--ample.com") == ""
    assert to_unicode("a_b.例子") == ""

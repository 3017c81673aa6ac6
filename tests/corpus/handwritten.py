"""Hand-written corpus documents (Accord project, CC0-1.0): free prose, labels written by hand."""

DOCS = {
    "en-h01.html": (
        """<!DOCTYPE html><html><head><title>Joint Cybersecurity Advisory: OceanFlare loader</title>
<script>window.dataLayer=[];fetch('https://telemetry.vendor-cdn.com/collect')</script>
<style>td{padding:2px}</style></head><body>
<h1>Joint Cybersecurity Advisory: OceanFlare loader</h1>
<p>Partner agencies in Singapore and Germany observed OceanFlare, a loader distributed by the group
tracked as Mustang Panda, since March. The loader abuses CVE-2023-36884 and is side-loaded by a
signed binary (version 10.0.17763.1 of the vendor tool, Chrome 120.0.6099.109 was not involved).</p>
<p>Initial access uses ISO archives named <b>Meeting_Minutes.iso</b>; the payload beacons over HTTPS to
the hosts listed below. Detection names include Trojan:Win32/OceanFlare.A!dha and W32/Agent.FLR!tr.</p>
<table><tr><th>Indicator</th><th>Type</th><th>Note</th></tr>
<tr><td>update-check[.]live</td><td>domain</td><td>C2</td></tr>
<tr><td>198.51.100.23</td><td>IPv4</td><td>C2, AS64501</td></tr>
<tr><td>hxxps://cdn.update-check[.]live/v2/fetch.php</td><td>URL</td><td>stage 2</td></tr>
<tr><td>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</td><td>SHA-256</td><td>loader</td></tr>
<tr><td>e99a18c428cb38d5f260853678922e03</td><td>MD5</td><td>ISO</td></tr>
</table>
<p>The operators used techniques T1574.002 and T1204.002. See section 2.3.1.4 of the annex. Contact
the coordinating team at noon UTC or by e-mail to ir-desk[at]cert-example(.)org.</p>
</body></html>
""",
        {
            "domain": ["update-check.live"],
            "ipv4": ["198.51.100.23"],
            "url": ["https://cdn.update-check.live/v2/fetch.php"],
            "sha256": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
            "md5": ["e99a18c428cb38d5f260853678922e03"],
            "cve": ["CVE-2023-36884"],
            "attack": ["T1204.002", "T1574.002"],
            "asn": ["AS64501"],
            "file": ["Meeting_Minutes.iso"],
            "email": ["ir-desk@cert-example.org"],
        },
    ),
    "en-h02.txt": (
        """Police dismantle SMS phishing service used in 40 countries

Investigators from eleven countries, coordinated by Europol, took down the "LabHost"-style phishing
platform on Tuesday. The service rented ready-made bank login pages to criminals for about 250 USD a
month; its panel ran at panel.smsk1t.xyz and later at 203.0.113.77 (port 8443).

Victims received messages such as "Your parcel is on hold, pay the fee at hxxp://parcel-fee[.]top/pay".
Payments from customers of the service were traced to the wallet bc1q5feryxhrdz9m6y09mr8wrerwzgj6f8ntlqlhlc
and to the e-mail address billing.desk@protonmail.com.

The takedown does not affect the legitimate services mentioned in the court filing (for example
readme.md files on code hosting sites, or the report.zip archive the prosecutors released). Firmware
1.2.0.4 of the seized routers was checked; the logs dated 2024.04.16 were preserved. The operators'
own malware, a Windows stealer dropped as svc_update.exe, set persistence in
HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run and reached 2001:db8:4006:80b::200e.
""",
        {
            "domain": ["panel.smsk1t.xyz"],
            "ipv4": ["203.0.113.77"],
            "url": ["http://parcel-fee.top/pay"],
            "btc": ["bc1q5feryxhrdz9m6y09mr8wrerwzgj6f8ntlqlhlc"],
            "email": ["billing.desk@protonmail.com"],
            "file": ["readme.md", "report.zip", "svc_update.exe"],
            "registry": ["HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"],
            "ipv6": ["2001:db8:4006:80b::200e"],
        },
    ),
    "ar-h01.txt": (
        """الشرطة تفكك شبكة احتيال إلكتروني استهدفت عملاء البنوك في المنطقة

أعلنت السلطات بالتعاون مع الإنتربول عن تفكيك شبكة احتيال إلكتروني استخدمت موقعاً مزيفاً يحمل اسم
\u200fsecure-bank-login[.]com\u200f لسرقة بيانات العملاء، وكان الخادم الرئيسي على العنوان ١٨٥٫٢٢٠٫١٠١٫٤٧،
بينما استُخدم الرابط hxxps://secure-bank-login[.]com/verify/otp لإرسال رموز التحقق.
وأوضح البيان أن المهاجمين استغلوا الثغرة CVE-2024-3400 في جدران الحماية، وأن البرمجية الخبيثة
تحمل البصمة 5d41402abc4b2a76b9719d911017c592، وتتصل بالنطاقupdate-srv[.]net، وتُراسل العنوان
support[at]update-srv[.]net.
وأشار المركز إلى أن الإصدار 7.2.0.1 من التطبيق الرسمي غير متأثر، وأن البند 3.1.2.4 من اللائحة يلزم البنوك
بالإبلاغ خلال ٧٢ ساعة.
""",
        {
            "domain": ["secure-bank-login.com", "update-srv.net"],
            "ipv4": ["185.220.101.47"],
            "url": ["https://secure-bank-login.com/verify/otp"],
            "cve": ["CVE-2024-3400"],
            "md5": ["5d41402abc4b2a76b9719d911017c592"],
            "email": ["support@update-srv.net"],
        },
    ),
    "ar-h02.html": (
        """<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>تحذير من حملة تصيد</title></head><body>
<h2>تحذير من حملة تصيد تنتحل صفة شركة شحن</h2>
<p>رصد فريق الاستجابة حملة تصيد واسعة تستهدف المستخدمين في السعودية والإمارات عبر رسائل نصية تحتوي على
الرابط hxxp://aramex-track[.]info/pay، وتطلب دفع رسوم جمركية صغيرة.</p>
<table><tr><td>النطاق</td><td>aramex-track[.]info</td></tr>
<tr><td>العنوان</td><td>١٠٣٫٢٢٤٫١٨٢٫٢٥١</td></tr>
<tr><td>الشبكة</td><td>AS9009</td></tr>
<tr><td>الملف</td><td>Aramex_Invoice.apk</td></tr>
<tr><td>SHA256</td><td>2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae</td></tr></table>
<p>وتتبع الحملة أسلوب T1566.002 (التصيد عبر الروابط).</p>
</body></html>
""",
        {
            "url": ["http://aramex-track.info/pay"],
            "domain": ["aramex-track.info"],
            "ipv4": ["103.224.182.251"],
            "asn": ["AS9009"],
            "file": ["Aramex_Invoice.apk"],
            "sha256": ["2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"],
            "attack": ["T1566.002"],
        },
    ),
    "zh-h01.txt": (
        """关于“暗影狐”勒索软件攻击活动的风险提示

近期，国家互联网应急中心监测发现“暗影狐”勒索软件针对我国制造业企业发起攻击。攻击者利用ＣＶＥ－２０２３－４６６０４漏洞
获取初始访问权限，随后通过域名ｄｏｗｎｌｏａｄ．ｓｈａｄｏｗｆｏｘ．ｔｏｐ下载载荷，控制服务器地址为４５．１４２．２１２．６１：４４３。
勒索信要求受害者通过邮箱recover＠shadowfox。top联系，赎金支付至比特币地址bc1qxvhxyrdlm5aahn0t09nl4ujy8624fl6z4ghhg7。
样本SHA1值为０ｂｅｅｃ７ｂ５ｅａ３ｆ０ｆｄｂｃ９５ｄ０ｄｄ４７ｆ３ｃ５ｂｃ２７５ｄａ８ａ３３，释放文件名为ｆｏｘ＿ｌｏｃｋｅｒ．ｅｘｅ。
该软件版本3.2.1.5与此前版本的加密方式一致，详见第4.2.1.3节。
""",
        {
            "cve": ["CVE-2023-46604"],
            "domain": ["download.shadowfox.top"],
            "ipv4": ["45.142.212.61"],
            "email": ["recover@shadowfox.top"],
            "btc": ["bc1qxvhxyrdlm5aahn0t09nl4ujy8624fl6z4ghhg7"],
            "sha1": ["0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33"],
            "file": ["fox_locker.exe"],
        },
    ),
    "zh-h02.html": (
        """<html><head><meta charset="utf-8"><title>钓鱼网站通报</title></head><body>
<h1>钓鱼网站通报（第十二期）</h1>
<p>以下网站仿冒银行登录页面，请各单位立即封锁：</p>
<table>
<tr><th>序号</th><th>网址</th><th>IP</th></tr>
<tr><td>1</td><td>hxxps://icbc-login[.]cc/index.html</td><td>156.244.3.18</td></tr>
<tr><td>2</td><td>hxxp://ccb-verify[.]vip/</td><td>156.244.3.19</td></tr>
</table>
<p>相关样本的MD5为098f6bcd4621d373cade4e832627b4f6，攻击手法对应T1566。域名cmb-secure。xyz亦为同一团伙所有，
其解析地址为１０３．１５１．１２．９。</p>
</body></html>
""",
        {
            "url": ["https://icbc-login.cc/index.html", "http://ccb-verify.vip/"],
            "ipv4": ["156.244.3.18", "156.244.3.19", "103.151.12.9"],
            "md5": ["098f6bcd4621d373cade4e832627b4f6"],
            "attack": ["T1566"],
            "domain": ["cmb-secure.xyz"],
        },
    ),
}

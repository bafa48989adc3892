"""Word lists behind the best-effort name and address detectors, and the code tables of the
structured ones (resident-ID regions, plate provinces)."""

from __future__ import annotations

# Common single-character surnames (roughly the 400 most frequent in the 2020 census lists).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁"
    "胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰"
    "支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜"
    "印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
    "闭由郦钮殳步"
)
# The ~120 most common: a weak surname followed by one of these starts a name one later.
TOP_SURNAMES = set(SURNAMES[:120])
# Characters of organisation names: a "name" containing or followed by one is an org.
ORG_CHARS = set("部局司厂处科组队院所会社馆店行委办署城谷台")
COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 南宫 "
    "西门 独孤 百里 呼延 万俟 澹台 公冶 太史 申屠 闻人 濮阳 赫连 第五 东郭 左丘 梁丘"
).split()
# Surnames that are also everyday function words: never the first character of a name found
# without a strong cue, and skipped when the next character is itself a surname ("向张伟").
WEAK_SURNAMES = set("任区于和明时向成文平安全来都国海原门由信利公但那相初计支井索宣云容敬花强战元")
# Characters that end a given name: a name followed by one of these is cut before it
# ("张建华为他开具" -> 张建华, "联系人王芳的电话" -> 王芳).
NAME_STOP = set(
    "的是为在和与及等说已于将把被从给对向也都就还又到了着过之其他她它们这那有请称表示先女"
    "医老同岁今年诊负开目被患曾任现于、，。；：！？ "
)

PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
# Prefecture-level cities often written without their province.
CITIES = (
    "广州 深圳 杭州 南京 苏州 成都 武汉 西安 长沙 郑州 青岛 济南 大连 沈阳 哈尔滨 长春 厦门 福州 "
    "宁波 无锡 合肥 昆明 南昌 贵阳 南宁 太原 石家庄 兰州 乌鲁木齐 呼和浩特 银川 西宁 拉萨 海口 "
    "三亚 珠海 东莞 佛山 中山 惠州 汕头 温州 绍兴 嘉兴 金华 台州 湖州 常州 徐州 南通 扬州 镇江 "
    "盐城 泰州 烟台 潍坊 临沂 淄博 威海 洛阳 宜昌 襄阳 株洲 湘潭 岳阳 衡阳 桂林 柳州 绵阳 遵义 "
    "保定 唐山 廊坊 秦皇岛 邯郸 大同 包头 鄂尔多斯 鞍山 抚顺 锦州 吉林 大庆 齐齐哈尔 芜湖 蚌埠 "
    "泉州 漳州 赣州 九江 开封 南阳 新乡 江门 湛江 肇庆 清远 韶关 揭阳 宝鸡 咸阳 延安 天水 昆山"
).split()

# GB/T 2260 province codes: the first two digits of a resident ID.
ID_REGIONS = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}  # fmt: skip

# Licence-plate province abbreviations (使/领 for embassy and consulate plates).
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"

"""Chinese name data for demo and scale data (fictional people and places).

Surnames are weighted roughly as in coastal Fujian, where the demo's ID-number region
codes come from. Place names are made of two syllables so that no real village is meant.
"""

# (surname, weight): the common surnames of Fuzhou and its counties, most frequent first.
SURNAMES = [
    ("陈", 16), ("林", 15), ("黄", 7), ("张", 5), ("吴", 5), ("王", 5), ("李", 5), ("郑", 5),
    ("刘", 4), ("杨", 3), ("许", 3), ("蔡", 3), ("何", 2), ("郭", 2), ("谢", 2), ("曾", 2),
    ("周", 2), ("叶", 2), ("罗", 2), ("游", 1), ("江", 1), ("薛", 1), ("施", 1), ("庄", 1),
    ("方", 1), ("翁", 1), ("魏", 1), ("卓", 1), ("俞", 1), ("余", 1), ("邱", 1), ("潘", 1),
    ("高", 1), ("朱", 1), ("严", 1), ("邓", 1), ("欧阳", 1),
]  # fmt: skip

# Given-name characters by sex; a given name is one or two of them.
MALE_CHARS = (
    "建国华明伟强军平志勇杰斌文辉东峰海波涛磊鹏刚健忠祥荣德福生春宏鑫俊晨浩宇轩博睿哲瑞凯毅彬炳金水"
    "清源榕闽江山松林柏泉永长兴旺发顺安"
)
FEMALE_CHARS = "秀英丽华芳娟敏静玉兰梅红霞燕萍琴雪莉婷慧颖佳欣怡雯琳晶倩璐婉清月凤珍美春桂莲碧素艳"

# Two-character given names that recur in older generations.
CLASSIC_MALE = ["建国", "国强", "卫东", "志强", "建华", "国庆", "建平", "文华", "德明", "永福", "金水", "丰收"]
CLASSIC_FEMALE = ["秀英", "桂英", "玉兰", "秀珍", "美华", "丽华", "淑芬", "月娥", "秀琴", "凤英"]

# Syllables for fictional place names: first and second character.
PLACE_FIRST = "龙江海东西南北新上下石沙岭溪山田港洋埔坑美兴福安和平青竹梅桥塘湖泽盘鳌渔云凤玉金银宝"
PLACE_SECOND = "田头尾厝美兴山溪岭洋埔坑港塘湖桥亭峰林浦垄岐口屿岸园里亭坪阳霞湾头前后"

# The county-level city of the ``city`` scale and its parts (fictional).
CITY_NAME = "榕江市"

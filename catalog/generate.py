"""Write the catalog files under ``catalog/data`` (run once; the files are committed).

    python -m catalog.generate [DATA_DIR]

Deterministic: the same code writes byte-identical files. City-wide standards (``core.*``)
and the catalogs the simulator plants its truth in (registration, shareholders, annual
reports, inspections, penalties, abnormal list, complaints, licences, tax, social insurance,
utilities, courts) are written out by hand below; every other department's catalogs and
standards are composed from the department's topics, a catalog kind and field concepts, so
they read plausibly and stay consistent (one standard per catalog-specific data element).
"""
from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

from catalog.loader import DATA_DIR, FILES

SEED = 20261126
TOTAL_RECORDS_SF1 = 140_000_000

# (code, name_zh, name_en, level, default subject area, "topic_zh:topic_en|...")
DEPARTMENTS: list[tuple[str, str, str, str, str, str]] = [
    ("SCJG", "佛山市市场监督管理局", "Foshan Administration for Market Regulation", "city", "registration", "食品经营:food business|特种设备:special equipment|计量器具:measuring instruments|广告监测:advertising|产品质量:product quality|价格监督:price supervision|知识产权:intellectual property|网络交易:online trading"),
    ("SWJ", "国家税务总局佛山市税务局", "Foshan Tax Service, State Taxation Administration", "central", "tax", "发票:invoices|税务登记:tax registration|纳税信用:tax credit|出口退税:export tax rebates|欠税:tax arrears"),
    ("RSJ", "佛山市人力资源和社会保障局", "Foshan Human Resources and Social Security Bureau", "city", "social_insurance", "劳动合同:labour contracts|劳动保障监察:labour inspection|职业技能:vocational skills|工资支付:wage payment|就业登记:employment registration"),
    ("SBJ", "佛山市社会保险基金管理局", "Foshan Social Insurance Fund Administration", "city", "social_insurance", "参保单位:insured employers|工伤认定:work-injury determination|医保结算:medical insurance settlement"),
    ("GAJ", "佛山市公安局", "Foshan Public Security Bureau", "city", "public_security", "治安管理:public order|特种行业:special trades|印章刻制:seal engraving|危险物品:hazardous articles|流动人口:floating population"),
    ("ZJFY", "佛山市中级人民法院", "Foshan Intermediate People's Court", "court", "court_judgments", "民商事案件:civil and commercial cases|执行案件:enforcement cases|破产案件:bankruptcy cases"),
    ("CCFY", "佛山市禅城区人民法院", "Chancheng District People's Court", "court", "court_judgments", "民事诉讼:civil litigation|失信被执行人:dishonest judgment debtors"),
    ("NHFY", "佛山市南海区人民法院", "Nanhai District People's Court", "court", "court_judgments", "民事诉讼:civil litigation|失信被执行人:dishonest judgment debtors"),
    ("SDFY", "佛山市顺德区人民法院", "Shunde District People's Court", "court", "court_judgments", "民事诉讼:civil litigation|失信被执行人:dishonest judgment debtors"),
    ("SSFY", "佛山市三水区人民法院", "Sanshui District People's Court", "court", "court_judgments", "民事诉讼:civil litigation|失信被执行人:dishonest judgment debtors"),
    ("GMFY", "佛山市高明区人民法院", "Gaoming District People's Court", "court", "court_judgments", "民事诉讼:civil litigation|失信被执行人:dishonest judgment debtors"),
    ("JCY", "佛山市人民检察院", "Foshan People's Procuratorate", "court", "court_judgments", "公益诉讼:public-interest litigation|检察建议:procuratorial recommendations"),
    ("SSTHJJ", "佛山市生态环境局", "Foshan Ecology and Environment Bureau", "city", "environment", "排污许可:pollutant discharge permits|环境影响评价:environmental impact assessment|危险废物:hazardous waste|在线监测:online emission monitoring|环境信用:environmental credit"),
    ("XFJY", "佛山市消防救援支队", "Foshan Fire and Rescue Detachment", "city", "safety", "消防安全检查:fire safety inspection|消防验收:fire acceptance|火灾隐患:fire hazards|重点单位:key fire-safety units"),
    ("WJJ", "佛山市卫生健康局", "Foshan Health Commission", "city", "health", "医疗机构:medical institutions|公共场所卫生:public-place hygiene|职业卫生:occupational health|放射卫生:radiation health"),
    ("ZJJ", "佛山市住房和城乡建设局", "Foshan Housing and Urban-Rural Development Bureau", "city", "construction", "施工许可:construction permits|建筑企业资质:construction qualifications|商品房预售:pre-sale of housing|物业服务:property management|工程质量:construction quality"),
    ("FSHG", "中华人民共和国佛山海关", "Foshan Customs", "central", "trade_customs", "进出口申报:import and export declarations|企业信用管理:enterprise credit management|进口食品:imported food|加工贸易:processing trade"),
    ("SWUJ", "佛山市水利局", "Foshan Water Resources Bureau", "city", "environment", "取水许可:water-withdrawal permits|河道管理:river management|水土保持:soil and water conservation"),
    ("GDFS", "广东电网佛山供电局", "Foshan Power Supply Bureau, Guangdong Power Grid", "utility", "utilities", "用电户:power accounts|用电量:power consumption|电费缴纳:power bills|欠费停电:arrears disconnections"),
    ("FSSW", "佛山水业集团", "Foshan Water Group", "utility", "utilities", "供水户:water accounts|用水量:water consumption|水费缴纳:water bills"),
    ("FSRQ", "佛山市燃气集团", "Foshan Gas Group", "utility", "utilities", "燃气用户:gas accounts|用气量:gas consumption|燃气安全检查:gas safety inspection"),
    ("YJGLJ", "佛山市应急管理局", "Foshan Emergency Management Bureau", "city", "safety", "安全生产许可:work-safety licences|危险化学品:hazardous chemicals|安全生产执法:work-safety enforcement|事故调查:accident investigation"),
    ("JTYSJ", "佛山市交通运输局", "Foshan Transport Bureau", "city", "transport", "道路运输:road transport|网约车:ride-hailing|驾驶员培训:driver training|货运车辆:freight vehicles"),
    ("NYNCJ", "佛山市农业农村局", "Foshan Agriculture and Rural Affairs Bureau", "city", "agriculture", "农药经营:pesticide trading|兽药饲料:veterinary drugs and feed|农产品质量:farm-produce quality|渔业:fisheries"),
    ("WGLTJ", "佛山市文化广电旅游体育局", "Foshan Culture, Radio, TV, Tourism and Sports Bureau", "city", "culture_tourism", "娱乐场所:entertainment venues|旅行社:travel agencies|网吧:internet cafés|演出经营:performances|体育经营:sports businesses"),
    ("SWJU", "佛山市商务局", "Foshan Commerce Bureau", "city", "trade_customs", "外商投资:foreign investment|对外贸易经营者:foreign-trade operators|单用途预付卡:prepaid cards|二手车交易:used-car trading"),
    ("FGJ", "佛山市发展和改革局", "Foshan Development and Reform Bureau", "city", "statistics", "投资项目:investment projects|节能审查:energy-saving review|价格认定:price determination|信用修复:credit repair"),
    ("GXJ", "佛山市工业和信息化局", "Foshan Industry and Information Technology Bureau", "city", "statistics", "规上工业:industrial enterprises above scale|专精特新:specialised SMEs|技术改造:technical renovation"),
    ("KJJ", "佛山市科学技术局", "Foshan Science and Technology Bureau", "city", "honours", "高新技术企业:high-tech enterprises|科技型中小企业:tech SMEs|研发投入:R&D spending"),
    ("TJJ", "佛山市统计局", "Foshan Statistics Bureau", "city", "statistics", "名录库:business register|统计执法:statistical enforcement|经济普查:economic census"),
    ("ZRZYJ", "佛山市自然资源局", "Foshan Natural Resources Bureau", "city", "property_land", "土地出让:land transfers|建设用地规划:land-use planning|不动产登记:real-estate registration|矿产资源:mineral resources"),
    ("CZJ", "佛山市财政局", "Foshan Finance Bureau", "city", "finance_credit", "政府采购:government procurement|财政补贴:fiscal subsidies|会计监督:accounting supervision"),
    ("JRJ", "佛山市金融工作局", "Foshan Financial Work Bureau", "city", "finance_credit", "小额贷款:micro-lending|融资担保:financing guarantees|地方金融风险:local financial risk"),
    ("RMYH", "中国人民银行佛山市分行", "People's Bank of China Foshan Branch", "central", "finance_credit", "企业征信:enterprise credit reports|账户开立:bank accounts|反洗钱:anti-money laundering"),
    ("GJJ", "佛山市住房公积金管理中心", "Foshan Housing Provident Fund Centre", "city", "housing_fund", "缴存单位:contributing employers|公积金缴存:provident fund contributions|缴存基数:contribution bases"),
    ("YBJ", "佛山市医疗保障局", "Foshan Healthcare Security Bureau", "city", "social_insurance", "定点医药机构:designated medical institutions|医保基金监管:fund supervision|药品集采:drug procurement"),
    ("MZJ", "佛山市民政局", "Foshan Civil Affairs Bureau", "city", "registration", "社会组织:social organisations|养老机构:elderly-care institutions|殡葬服务:funeral services"),
    ("JYJ", "佛山市教育局", "Foshan Education Bureau", "city", "education", "民办学校:private schools|校外培训:off-campus tutoring|校园食品:school food"),
    ("SFJ", "佛山市司法局", "Foshan Justice Bureau", "city", "inspections", "行政执法监督:law-enforcement supervision|律师事务所:law firms|公证机构:notaries"),
    ("CGJ", "佛山市城市管理和综合执法局", "Foshan Urban Management and Comprehensive Law Enforcement Bureau", "city", "penalties", "户外广告:outdoor advertising|占道经营:street vending|生活垃圾:household waste|渣土运输:muck transport"),
    ("LYJ", "佛山市林业局", "Foshan Forestry Bureau", "city", "agriculture", "林木采伐:logging|野生动植物:wildlife"),
    ("TYJR", "佛山市退役军人事务局", "Foshan Veterans Affairs Bureau", "city", "employment", "拥军企业:veteran-friendly employers|退役军人就业:veteran employment"),
    ("ZSJ", "佛山市政务服务数据管理局", "Foshan Government Services and Data Administration", "city", "registration", "政务办件:government service cases|电子证照:electronic licences|好差评:service ratings"),
    ("XFJ", "佛山市信访局", "Foshan Letters and Visits Bureau", "city", "complaints", "信访件:petitions|重复信访:repeat petitions"),
    ("RX12345", "佛山市12345政务服务便民热线", "Foshan 12345 Government Service Hotline", "city", "complaints", "热线工单:hotline tickets|企业诉求:business requests|回访:follow-up calls"),
    ("QXJ", "佛山市气象局", "Foshan Meteorological Bureau", "central", "safety", "防雷检测:lightning protection|施放气球:balloon release"),
    ("YCJ", "佛山市烟草专卖局", "Foshan Tobacco Monopoly Bureau", "central", "licences", "烟草专卖零售:tobacco retail|涉烟案件:tobacco cases"),
    ("YJJ", "佛山市药品监督管理分局", "Foshan Branch of the Guangdong Medical Products Administration", "city", "food_drug", "药品经营:drug trading|医疗器械:medical devices|化妆品:cosmetics|药品不良反应:adverse drug reactions"),
    ("ZSCQJ", "佛山市知识产权局", "Foshan Intellectual Property Office", "city", "intellectual_property", "专利:patents|商标:trademarks|地理标志:geographical indications|侵权纠纷:infringement disputes"),
    ("GZW", "佛山市国有资产监督管理委员会", "Foshan State-owned Assets Supervision and Administration Commission", "city", "finance_credit", "国有企业:state-owned enterprises|国有产权:state property rights"),
    ("SJJ", "佛山市审计局", "Foshan Audit Bureau", "city", "inspections", "审计项目:audit projects|审计整改:audit rectification"),
    ("ZGH", "佛山市总工会", "Foshan Federation of Trade Unions", "city", "employment", "基层工会:grassroots unions|工会经费:union dues"),
    ("GSL", "佛山市工商业联合会", "Foshan Federation of Industry and Commerce", "city", "honours", "会员企业:member enterprises|商会:chambers of commerce"),
    ("MJ", "佛山市邮政管理局", "Foshan Postal Administration", "central", "licences", "快递业务:express delivery|快递末端网点:delivery outlets"),
    ("TXGLJ", "佛山市通信管理办公室", "Foshan Communications Administration Office", "central", "licences", "增值电信:value-added telecoms|网站备案:website filings"),
    ("HSJ", "佛山市港航事务中心", "Foshan Ports and Shipping Affairs Centre", "city", "transport", "港口经营:port operations|水路运输:waterway transport"),
    ("HSJC", "佛山海事局", "Foshan Maritime Safety Administration", "central", "transport", "船舶登记:ship registration|船员管理:seafarers|水上安全:waterway safety"),
    ("GTJT", "佛山市公共交通集团", "Foshan Public Transport Group", "utility", "transport", "公交运营:bus operations"),
    ("DXYD", "中国电信佛山分公司", "China Telecom Foshan Branch", "utility", "utilities", "企业宽带:business broadband|通信欠费:telecom arrears"),
    ("BXJG", "国家金融监督管理总局佛山监管分局", "NFRA Foshan Branch", "central", "finance_credit", "保险机构:insurance institutions|银行网点:bank branches"),
    ("ZJHPJ", "佛山市政务服务中心", "Foshan Administrative Service Centre", "city", "registration", "一网通办:one-stop services|容缺受理:conditional acceptance"),
    ("CCQ", "佛山市禅城区人民政府", "Chancheng District People's Government", "district", "inspections", "网格巡查:grid patrols|安全隐患:safety hazards|出租屋:rental housing"),
    ("NHQ", "佛山市南海区人民政府", "Nanhai District People's Government", "district", "inspections", "网格巡查:grid patrols|安全隐患:safety hazards|村级工业园:village industrial parks"),
    ("SDQ", "佛山市顺德区人民政府", "Shunde District People's Government", "district", "inspections", "网格巡查:grid patrols|安全隐患:safety hazards|家具市场:furniture markets"),
    ("SSQ", "佛山市三水区人民政府", "Sanshui District People's Government", "district", "inspections", "网格巡查:grid patrols|安全隐患:safety hazards"),
    ("GMQ", "佛山市高明区人民政府", "Gaoming District People's Government", "district", "inspections", "网格巡查:grid patrols|安全隐患:safety hazards"),
    ("CCSJ", "佛山市禅城区市场监督管理局", "Chancheng District Administration for Market Regulation", "district", "inspections", "食品摊贩:food stalls|市场巡查:market patrols|消费维权:consumer rights"),
    ("NHSJ", "佛山市南海区市场监督管理局", "Nanhai District Administration for Market Regulation", "district", "inspections", "食品摊贩:food stalls|市场巡查:market patrols|消费维权:consumer rights"),
    ("SDSJ", "佛山市顺德区市场监督管理局", "Shunde District Administration for Market Regulation", "district", "inspections", "食品摊贩:food stalls|市场巡查:market patrols|消费维权:consumer rights"),
    ("SSSJ", "佛山市三水区市场监督管理局", "Sanshui District Administration for Market Regulation", "district", "inspections", "食品摊贩:food stalls|市场巡查:market patrols|消费维权:consumer rights"),
    ("GMSJ", "佛山市高明区市场监督管理局", "Gaoming District Administration for Market Regulation", "district", "inspections", "食品摊贩:food stalls|市场巡查:market patrols|消费维权:consumer rights"),
    ("CCSW", "国家税务总局佛山市禅城区税务局", "Chancheng District Tax Service", "central", "tax", "定额核定:fixed-quota assessment|税务稽查:tax audits"),
    ("NHSW", "国家税务总局佛山市南海区税务局", "Nanhai District Tax Service", "central", "tax", "定额核定:fixed-quota assessment|税务稽查:tax audits"),
    ("SDSW", "国家税务总局佛山市顺德区税务局", "Shunde District Tax Service", "central", "tax", "定额核定:fixed-quota assessment|税务稽查:tax audits"),
    ("SSSW", "国家税务总局佛山市三水区税务局", "Sanshui District Tax Service", "central", "tax", "定额核定:fixed-quota assessment|税务稽查:tax audits"),
    ("GMSW", "国家税务总局佛山市高明区税务局", "Gaoming District Tax Service", "central", "tax", "定额核定:fixed-quota assessment|税务稽查:tax audits"),
    ("CCRS", "佛山市禅城区人力资源和社会保障局", "Chancheng District Human Resources and Social Security Bureau", "district", "employment", "欠薪投诉:wage-arrears complaints|用工备案:employment filings"),
    ("NHRS", "佛山市南海区人力资源和社会保障局", "Nanhai District Human Resources and Social Security Bureau", "district", "employment", "欠薪投诉:wage-arrears complaints|用工备案:employment filings"),
    ("SDRS", "佛山市顺德区人力资源和社会保障局", "Shunde District Human Resources and Social Security Bureau", "district", "employment", "欠薪投诉:wage-arrears complaints|用工备案:employment filings"),
    ("SSRS", "佛山市三水区人力资源和社会保障局", "Sanshui District Human Resources and Social Security Bureau", "district", "employment", "欠薪投诉:wage-arrears complaints|用工备案:employment filings"),
    ("GMRS", "佛山市高明区人力资源和社会保障局", "Gaoming District Human Resources and Social Security Bureau", "district", "employment", "欠薪投诉:wage-arrears complaints|用工备案:employment filings"),
    ("CCHB", "佛山市生态环境局禅城分局", "Chancheng Branch of the Ecology and Environment Bureau", "district", "environment", "环境执法:environmental enforcement|噪声投诉:noise complaints"),
    ("NHHB", "佛山市生态环境局南海分局", "Nanhai Branch of the Ecology and Environment Bureau", "district", "environment", "环境执法:environmental enforcement|噪声投诉:noise complaints"),
    ("SDHB", "佛山市生态环境局顺德分局", "Shunde Branch of the Ecology and Environment Bureau", "district", "environment", "环境执法:environmental enforcement|噪声投诉:noise complaints"),
    ("SSHB", "佛山市生态环境局三水分局", "Sanshui Branch of the Ecology and Environment Bureau", "district", "environment", "环境执法:environmental enforcement|噪声投诉:noise complaints"),
    ("GMHB", "佛山市生态环境局高明分局", "Gaoming Branch of the Ecology and Environment Bureau", "district", "environment", "环境执法:environmental enforcement|噪声投诉:noise complaints"),
    ("CCXF", "佛山市禅城区消防救援大队", "Chancheng Fire and Rescue Brigade", "district", "safety", "消防监督抽查:fire spot checks|九小场所:small venues"),
    ("NHXF", "佛山市南海区消防救援大队", "Nanhai Fire and Rescue Brigade", "district", "safety", "消防监督抽查:fire spot checks|九小场所:small venues"),
    ("SDXF", "佛山市顺德区消防救援大队", "Shunde Fire and Rescue Brigade", "district", "safety", "消防监督抽查:fire spot checks|九小场所:small venues"),
    ("SSXF", "佛山市三水区消防救援大队", "Sanshui Fire and Rescue Brigade", "district", "safety", "消防监督抽查:fire spot checks|九小场所:small venues"),
    ("GMXF", "佛山市高明区消防救援大队", "Gaoming Fire and Rescue Brigade", "district", "safety", "消防监督抽查:fire spot checks|九小场所:small venues"),
    ("NHGD", "广东电网南海供电局", "Nanhai Power Supply Bureau", "utility", "utilities", "专变用户:dedicated-transformer customers|用电检查:power-use inspection"),
    ("SDGD", "广东电网顺德供电局", "Shunde Power Supply Bureau", "utility", "utilities", "专变用户:dedicated-transformer customers|用电检查:power-use inspection"),
    ("NHSW2", "佛山市南海区供水集团", "Nanhai Water Supply Group", "utility", "utilities", "工业用水:industrial water|用水户:water accounts"),
    ("SDSW2", "佛山市顺德区供水有限公司", "Shunde Water Supply Company", "utility", "utilities", "工业用水:industrial water|用水户:water accounts"),
    ("XYBWB", "佛山市社会信用体系建设领导小组办公室", "Foshan Social Credit System Office", "city", "finance_credit", "信用承诺:credit commitments|联合奖惩:joint rewards and punishments|信用评价:credit ratings"),
]

# Catalog kinds applied to a department topic: (zh, en, subject override or None, frequency)
KINDS: list[tuple[str, str, str | None, str]] = [
    ("许可", "licences", "licences", "daily"),
    ("检查", "inspections", "inspections", "daily"),
    ("处罚", "penalties", "penalties", "daily"),
    ("登记备案", "filings", None, "daily"),
    ("统计月报", "monthly statistics", "statistics", "monthly"),
    ("监测", "monitoring", None, "daily"),
    ("信用评价", "credit ratings", "finance_credit", "yearly"),
    ("表彰奖励", "honours", "honours", "yearly"),
    ("缴费", "payments", None, "monthly"),
    ("办件", "service cases", None, "daily"),
    ("黑名单", "blacklist", "serious_violations", "weekly"),
    ("年度报告", "annual reports", "annual_reports", "yearly"),
]
# how often a department keeps a catalog of each kind (most are its own subject's records)
KIND_WEIGHTS = [3.0, 3.0, 2.0, 5.0, 1.0, 3.0, 0.6, 0.3, 2.0, 4.0, 0.5, 0.4]

# Field concepts of department-specific catalogs: (zh, en, kind)
CONCEPTS: list[tuple[str, str, str]] = [
    ("编号", "number", "id"), ("文书号", "document number", "id2"), ("申请日期", "application date", "date"),
    ("受理日期", "acceptance date", "date"), ("办结日期", "completion date", "date"), ("发证日期", "issue date", "date"),
    ("有效期截止日期", "expiry date", "date"), ("金额", "amount", "amount"), ("缴费金额", "amount paid", "amount"),
    ("罚没金额", "fine amount", "amount"), ("数量", "quantity", "count"), ("从业人员数", "number of staff", "count"),
    ("面积", "floor area", "area"), ("状态", "status", "status"), ("类别", "category", "category"),
    ("等级", "grade", "grade"), ("结果", "result", "result"), ("备注说明", "remarks", "text"),
    ("事项名称", "item name", "text_short"), ("法律依据", "legal basis", "text"), ("经办人姓名", "case officer name", "person"),
    ("联系人姓名", "contact name", "person"), ("联系电话", "contact phone", "phone"), ("场所地址", "premises address", "address"),
    ("所属区", "district code", "district"), ("所属镇街", "town code", "town"), ("所属村居", "village code", "village"),
    ("行业代码", "industry code", "industry"), ("是否重点单位", "key unit flag", "flag"), ("是否整改", "rectified flag", "flag"),
    ("占比", "share", "percent"), ("年度", "year", "year"), ("所属期", "period", "month"),
    ("检测值", "measured value", "measure"), ("审批机关", "approving authority", "text_short"), ("批次号", "batch number", "id"),
    ("登记时间", "recorded time", "datetime"), ("能耗量", "energy use", "measure"), ("风险等级", "risk level", "grade"),
    ("负责人姓名", "person in charge", "person"), ("负责人身份证号", "ID number of the person in charge", "resident_id"),
]

STATUS_NAMES = [("01", "正常", "normal"), ("02", "暂停", "suspended"), ("03", "注销", "cancelled"), ("04", "过期", "expired"), ("05", "撤销", "revoked")]
CATEGORY_NAMES = [("A", "甲类", "class A"), ("B", "乙类", "class B"), ("C", "丙类", "class C"), ("D", "丁类", "class D")]
GRADE_NAMES = [("1", "一级", "grade 1"), ("2", "二级", "grade 2"), ("3", "三级", "grade 3"), ("4", "四级", "grade 4")]
RESULT_NAMES = [("1", "合格", "passed"), ("2", "基本合格", "mostly passed"), ("3", "不合格", "failed"), ("9", "其他", "other")]

# Code tables of the city-wide standards: domain -> [(code, zh, en)]
CODE_TABLES: dict[str, list[tuple[str, str, str]]] = {
    "gender": [("0", "未知的性别", "unknown"), ("1", "男性", "male"), ("2", "女性", "female"), ("9", "未说明的性别", "not stated")],
    "yes_no": [("1", "是", "yes"), ("0", "否", "no")],
    "currency": [("CNY", "人民币", "renminbi"), ("HKD", "港元", "Hong Kong dollar"), ("USD", "美元", "US dollar"), ("EUR", "欧元", "euro"), ("JPY", "日元", "yen"), ("MOP", "澳门元", "pataca")],
    "enterprise_type": [
        ("1100", "有限责任公司", "limited liability company"), ("1151", "一人有限责任公司", "single-member LLC"),
        ("1200", "股份有限公司", "company limited by shares"), ("2100", "有限责任公司（外商投资）", "foreign-invested LLC"),
        ("4000", "个人独资企业", "sole proprietorship"), ("4500", "合伙企业", "partnership"),
        ("5100", "非公司企业法人", "non-company enterprise legal person"), ("9100", "个体工商户", "individual business"),
        ("9300", "农民专业合作社", "farmers' cooperative"),
    ],
    "registration_status": [("1", "存续（在营、开业、在册）", "active"), ("2", "吊销", "licence revoked"), ("3", "注销", "deregistered"), ("4", "迁出", "moved out"), ("5", "撤销", "registration cancelled"), ("6", "停业", "suspended")],
    "contribution_method": [("1", "货币", "cash"), ("2", "实物", "in kind"), ("3", "知识产权", "intellectual property"), ("4", "土地使用权", "land-use rights"), ("5", "股权", "equity"), ("6", "债权", "creditor's rights"), ("9", "其他", "other")],
    "shareholder_type": [("1", "自然人股东", "natural person"), ("2", "企业法人", "enterprise legal person"), ("3", "非法人组织", "unincorporated organisation"), ("4", "外国投资者", "foreign investor")],
    "change_item": [("01", "名称", "name"), ("02", "住所", "domicile"), ("03", "法定代表人", "legal representative"), ("04", "注册资本", "registered capital"), ("05", "经营范围", "business scope"), ("06", "股东（投资人）", "shareholders"), ("07", "企业类型", "enterprise type"), ("08", "营业期限", "term of operation")],
    "inspection_item": [("01", "公示信息检查", "published information"), ("02", "登记事项检查", "registered matters"), ("03", "食品安全检查", "food safety"), ("04", "产品质量检查", "product quality"), ("05", "特种设备检查", "special equipment"), ("06", "计量检查", "metrology"), ("07", "广告检查", "advertising"), ("08", "价格检查", "prices")],
    "inspection_mode": [("1", "双随机抽查", "double-random inspection"), ("2", "重点检查", "targeted inspection"), ("3", "投诉举报核查", "complaint check")],
    "inspection_result": [("1", "未发现问题", "no problem found"), ("2", "发现问题已责令改正", "problem found, ordered to rectify"), ("3", "发现问题待后续处理", "problem found, follow-up pending"), ("4", "通过登记的住所（经营场所）无法联系", "cannot be reached at the registered address"), ("5", "不配合检查情节严重", "serious refusal to cooperate"), ("6", "未按规定公示应当公示的信息", "required information not published"), ("7", "公示信息隐瞒真实情况、弄虚作假", "published information false")],
    "abnormal_reason": [("1", "未按规定报送年度报告", "annual report not filed"), ("2", "未按规定公示即时信息", "timely information not published"), ("3", "公示信息隐瞒真实情况、弄虚作假", "published information false"), ("4", "通过登记的住所或者经营场所无法联系", "cannot be reached at the registered address")],
    "penalty_type": [("01", "警告", "warning"), ("02", "罚款", "fine"), ("03", "没收违法所得", "confiscation of illegal gains"), ("04", "责令停产停业", "ordered to stop business"), ("05", "暂扣或者吊销许可证", "licence suspended or revoked"), ("06", "吊销营业执照", "business licence revoked")],
    "violation_type": [("01", "无照经营", "operating without a licence"), ("02", "虚假宣传", "false advertising"), ("03", "食品安全违法", "food-safety violation"), ("04", "产品质量违法", "product-quality violation"), ("05", "价格违法", "price violation"), ("06", "商标侵权", "trademark infringement"), ("07", "计量违法", "metrology violation"), ("08", "广告违法", "advertising violation"), ("09", "合同违法", "contract violation"), ("10", "其他违法行为", "other violation")],
    "tax_type": [("10101", "增值税", "value-added tax"), ("10104", "企业所得税", "enterprise income tax"), ("10106", "个人所得税", "individual income tax"), ("10109", "城市维护建设税", "urban maintenance and construction tax"), ("10111", "印花税", "stamp duty"), ("30203", "教育费附加", "education surcharge")],
    "insurance_type": [("110", "企业职工基本养老保险", "basic pension"), ("210", "失业保险", "unemployment insurance"), ("310", "职工基本医疗保险", "basic medical insurance"), ("410", "工伤保险", "work-injury insurance"), ("510", "生育保险", "maternity insurance")],
    "complaint_category": [("1", "投诉", "complaint"), ("2", "举报", "report"), ("3", "咨询", "enquiry")],
    "handling_status": [("1", "已受理", "accepted"), ("2", "处理中", "in progress"), ("3", "已办结", "closed"), ("4", "不予受理", "rejected")],
    "case_type": [("1", "民事", "civil"), ("2", "刑事", "criminal"), ("3", "行政", "administrative"), ("4", "执行", "enforcement")],
    "licence_type": [("JY", "食品经营许可证", "food business licence"), ("SC", "食品生产许可证", "food production licence"), ("XK", "工业产品生产许可证", "industrial product licence"), ("YP", "药品经营许可证", "drug trading licence"), ("TS", "特种设备使用登记证", "special equipment registration")],
    "serious_violation_reason": [("1", "被列入经营异常名录届满3年仍未履行相关义务", "on the abnormal list for 3 years"), ("2", "提交虚假材料或者采取其他欺诈手段隐瞒重要事实取得登记", "registration obtained by fraud"), ("3", "组织策划传销", "pyramid selling"), ("4", "因危害食品安全受到较重行政处罚", "serious food-safety penalty")],
}

# City-wide standards: (id, zh, en, data_type, validator, extra dict, description zh, description en)
CORE_STANDARDS: list[tuple[str, str, str, str, str, dict, str, str]] = [
    ("core.uscc", "统一社会信用代码", "unified social credit code", "string", "uscc", {"length": 18, "pattern": r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", "reference": "GB 32100-2015"}, "法人和其他组织的唯一身份代码，由登记管理部门赋予", "the lifelong identity code of a legal person or other organisation, given at registration"),
    ("core.entity_name", "市场主体名称", "market entity name", "string", "text", {"length": 100}, "市场主体在登记机关登记的名称", "the name under which the market entity is registered"),
    ("core.enterprise_type", "市场主体类型", "enterprise type", "code", "code_table", {"length": 4, "domain": "enterprise_type"}, "市场主体的组织形式", "the legal form of the market entity"),
    ("core.registration_status", "登记状态", "registration status", "code", "code_table", {"length": 1, "domain": "registration_status"}, "市场主体当前的登记状态", "the current registration status of the entity"),
    ("core.person_name", "姓名", "person name", "string", "text", {"length": 30, "pattern": r"^[\u3400-\u9fff·]{2,30}$", "pii_class": "person_name"}, "自然人的姓名", "the name of a natural person"),
    ("core.legal_rep_name", "法定代表人姓名", "legal representative name", "string", "text", {"length": 30, "pattern": r"^[\u3400-\u9fff·]{2,30}$", "pii_class": "person_name"}, "依法代表法人行使民事权利的负责人姓名", "the name of the person who represents the legal person in law"),
    ("core.resident_id", "公民身份号码", "citizen ID number", "string", "resident_id", {"length": 18, "pii_class": "id_number", "reference": "GB 11643-1999"}, "居民身份证上的18位公民身份号码", "the 18-character citizen identity number on a resident identity card"),
    ("core.mobile", "联系电话", "contact phone", "string", "phone", {"length": 13, "pii_class": "phone"}, "手机号码或带区号的固定电话", "a mobile number or a landline with area code"),
    ("core.gender", "性别", "gender", "code", "code_table", {"length": 1, "domain": "gender", "reference": "GB/T 2261.1-2003"}, "人的性别", "a person's gender"),
    ("core.registered_capital", "注册资本", "registered capital", "decimal", "decimal", {"length": 18, "scale": 4, "min_value": 0, "max_value": 100000000, "unit": "万元"}, "股东认缴的出资总额", "the total capital subscribed by the shareholders"),
    ("core.paid_in_capital", "实缴资本", "paid-in capital", "decimal", "decimal", {"length": 18, "scale": 4, "min_value": 0, "max_value": 100000000, "unit": "万元"}, "股东实际缴付的出资总额", "the capital the shareholders have actually paid in"),
    ("core.currency", "币种", "currency", "code", "code_table", {"length": 3, "domain": "currency", "reference": "GB/T 12406-2008"}, "金额的币种", "the currency of an amount"),
    ("core.establishment_date", "成立日期", "establishment date", "date", "date", {"length": 10}, "营业执照签发的成立日期", "the date of establishment on the business licence"),
    ("core.date", "日期", "date", "date", "date", {"length": 10}, "事件发生的日期", "the date of an event"),
    ("core.update_time", "数据更新时间", "data update time", "datetime", "datetime", {"length": 19}, "部门系统中记录最后更新的时间", "when the record was last updated in the department's system"),
    ("core.district_code", "所属区代码", "district code", "code", "code_table", {"length": 6, "domain": "foshan_district", "reference": "GB/T 2260"}, "佛山市辖区的行政区划代码", "the administrative division code of a Foshan district"),
    ("core.town_code", "所属镇街代码", "town code", "code", "code_table", {"length": 9, "domain": "foshan_town", "reference": "统计用区划代码 2023"}, "镇、街道的统计用区划代码", "the statistical division code of a town or sub-district"),
    ("core.village_code", "所属村居代码", "village code", "code", "code_table", {"length": 12, "domain": "foshan_village", "reference": "统计用区划代码 2023"}, "村民委员会、居民委员会的统计用区划代码", "the statistical division code of a village or community"),
    ("core.address", "住所", "registered address", "string", "text", {"length": 200}, "登记的住所或经营场所", "the registered domicile or business premises"),
    ("core.industry_code", "国民经济行业代码", "industry code", "code", "code_table", {"length": 4, "domain": "gbt4754_class", "reference": "GB/T 4754-2017"}, "主营业务所属的国民经济行业小类", "the industry class of the main business"),
    ("core.business_scope", "经营范围", "business scope", "string", "text", {"length": 2000}, "登记的经营范围", "the registered scope of business"),
    ("core.authority_name", "机关名称", "authority name", "string", "text", {"length": 100}, "作出决定或登记的机关", "the authority that decided or registered"),
    ("core.contribution_method", "出资方式", "capital-contribution method", "code", "code_table", {"length": 1, "domain": "contribution_method"}, "股东出资的方式", "how a shareholder contributes capital"),
    ("core.shareholder_type", "股东类型", "shareholder type", "code", "code_table", {"length": 1, "domain": "shareholder_type"}, "股东的类型", "the kind of shareholder"),
    ("core.shareholder_name", "股东名称", "shareholder name", "string", "text", {"length": 100, "pii_class": "person_name"}, "股东（发起人）的姓名或名称", "the name of a shareholder (promoter)"),
    ("core.amount_wan", "金额（万元）", "amount (10k yuan)", "decimal", "decimal", {"length": 18, "scale": 4, "min_value": 0, "max_value": 100000000, "unit": "万元"}, "以万元计的金额", "an amount in units of 10,000 yuan"),
    ("core.amount_yuan", "金额（元）", "amount (yuan)", "decimal", "decimal", {"length": 18, "scale": 2, "min_value": 0, "max_value": 10000000000, "unit": "元"}, "以元计的金额", "an amount in yuan"),
    ("core.ratio_percent", "比例", "percentage", "decimal", "decimal", {"length": 7, "scale": 4, "min_value": 0, "max_value": 100, "unit": "%"}, "百分比", "a percentage"),
    ("core.count", "人数", "headcount", "integer", "integer", {"min_value": 0, "max_value": 1000000}, "人员数量", "a number of people"),
    ("core.year", "年度", "year", "integer", "integer", {"min_value": 1949, "max_value": 2100}, "公历年度", "a calendar year"),
    ("core.period_month", "所属期", "period (month)", "string", "pattern", {"length": 6, "pattern": r"^(19|20)\d{2}(0[1-9]|1[0-2])$"}, "数据所属的年月 YYYYMM", "the month the data is about, YYYYMM"),
    ("core.record_id", "记录编号", "record id", "string", "pattern", {"length": 24, "pattern": r"^[A-Z0-9]{2,7}\d{14}$"}, "部门系统中记录的唯一编号", "the unique number of the record in the department's system"),
    ("core.yes_no", "是否标志", "yes/no flag", "code", "code_table", {"length": 1, "domain": "yes_no"}, "是或否", "yes or no"),
    ("core.change_item", "变更事项", "change item", "code", "code_table", {"length": 2, "domain": "change_item"}, "登记变更的事项", "the registered matter that changed"),
    ("core.change_content", "变更内容", "change content", "string", "text", {"length": 500}, "变更前或变更后的内容", "the content before or after a change"),
    ("core.inspection_item", "抽查事项", "inspection item", "code", "code_table", {"length": 2, "domain": "inspection_item"}, "随机抽查事项清单中的事项", "an item of the random-inspection item list"),
    ("core.inspection_mode", "检查方式", "inspection mode", "code", "code_table", {"length": 1, "domain": "inspection_mode"}, "双随机抽查、重点检查或投诉核查", "double-random, targeted or complaint-driven"),
    ("core.inspection_result", "检查结果", "inspection result", "code", "code_table", {"length": 1, "domain": "inspection_result"}, "抽查检查结果", "the outcome of an inspection"),
    ("core.task_id", "抽查任务编号", "inspection task id", "string", "pattern", {"length": 16, "pattern": r"^SJ\d{4}-\d{6}$"}, "双随机抽查任务的编号", "the number of a random-inspection task"),
    ("core.abnormal_reason", "列入经营异常名录原因", "abnormal-list reason", "code", "code_table", {"length": 1, "domain": "abnormal_reason"}, "列入经营异常名录的法定事由", "the legal ground for the abnormal-operation list"),
    ("core.penalty_type", "处罚种类", "penalty type", "code", "code_table", {"length": 2, "domain": "penalty_type"}, "行政处罚的种类", "the kind of administrative penalty"),
    ("core.violation_type", "违法行为类型", "violation type", "code", "code_table", {"length": 2, "domain": "violation_type"}, "违法行为的类型", "the kind of violation"),
    ("core.decision_no", "决定书文号", "decision number", "string", "pattern", {"length": 30, "pattern": r"^佛[\u4e00-\u9fff]{1,4}罚字〔\d{4}〕\d{1,6}号$"}, "行政处罚决定书文号", "the number of a penalty decision"),
    ("core.tax_type", "征收项目", "tax type", "code", "code_table", {"length": 5, "domain": "tax_type"}, "税费的征收项目", "the tax or levy"),
    ("core.insurance_type", "险种", "insurance type", "code", "code_table", {"length": 3, "domain": "insurance_type"}, "社会保险险种", "the social-insurance scheme"),
    ("core.complaint_text", "投诉内容", "complaint text", "string", "text", {"length": 1000}, "投诉举报人陈述的内容", "what the complainant wrote"),
    ("core.complaint_category", "诉求类型", "request type", "code", "code_table", {"length": 1, "domain": "complaint_category"}, "投诉、举报或咨询", "complaint, report or enquiry"),
    ("core.handling_status", "办理状态", "handling status", "code", "code_table", {"length": 1, "domain": "handling_status"}, "诉求的办理状态", "how far the request has been handled"),
    ("core.case_no", "案号", "case number", "string", "pattern", {"length": 30, "pattern": r"^\(\d{4}\)粤06\d{2}[\u4e00-\u9fff]{1,3}\d{1,6}号$"}, "人民法院案件编号（全角括号按半角校验）", "the court case number (full-width brackets are checked as half-width)"),
    ("core.case_type", "案件类型", "case type", "code", "code_table", {"length": 1, "domain": "case_type"}, "案件的类型", "the kind of case"),
    ("core.licence_type", "许可证类型", "licence type", "code", "code_table", {"length": 2, "domain": "licence_type"}, "行政许可证件的类型", "the kind of licence"),
    ("core.licence_no", "许可证编号", "licence number", "string", "pattern", {"length": 16, "pattern": r"^[A-Z]{2}\d{14}$"}, "许可证件上的编号", "the number on the licence"),
    ("core.serious_violation_reason", "列入严重违法失信名单原因", "serious-violation list reason", "code", "code_table", {"length": 1, "domain": "serious_violation_reason"}, "列入严重违法失信名单的事由", "the ground for the serious-violation list"),
    ("core.account_no", "户号", "account number", "string", "pattern", {"length": 12, "pattern": r"^\d{12}$"}, "公用事业缴费户号", "the utility account number"),
    ("core.energy_kwh", "用电量", "power consumption", "decimal", "decimal", {"length": 14, "scale": 2, "min_value": 0, "max_value": 1000000000, "unit": "千瓦时"}, "计费周期内的用电量", "electricity used in the billing period"),
    ("core.water_m3", "用水量", "water consumption", "decimal", "decimal", {"length": 14, "scale": 2, "min_value": 0, "max_value": 1000000000, "unit": "立方米"}, "计费周期内的用水量", "water used in the billing period"),
]

# Hand-written catalogs: (code, dept, zh, en, subject, frequency, format, est_records (as the
#   simulator's planted rules produce them at SF 1),
#   key fields, [(name, source name, standard, required)])
CORE_CATALOGS: list[tuple] = [
    ("SCJG-001", "SCJG", "市场主体登记信息", "market entity registrations", "registration", "daily", "csv_utf8", 900_000, ("uscc",), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("entity_name", "企业名称", "core.entity_name", True),
        ("enterprise_type", "市场主体类型", "core.enterprise_type", True), ("legal_rep_name", "法定代表人", "core.legal_rep_name", True),
        ("legal_rep_id", "法定代表人证件号码", "core.resident_id", True), ("legal_rep_phone", "联系电话", "core.mobile", False),
        ("registered_capital", "注册资本（万元）", "core.registered_capital", True), ("currency", "币种", "core.currency", True),
        ("establishment_date", "成立日期", "core.establishment_date", True), ("registration_status", "登记状态", "core.registration_status", True),
        ("industry_code", "行业代码", "core.industry_code", True), ("district_code", "所属区", "core.district_code", True),
        ("town_code", "所属镇街", "core.town_code", True), ("village_code", "所属村居", "core.village_code", True),
        ("address", "住所", "core.address", True), ("business_scope", "经营范围", "core.business_scope", True),
        ("registration_authority", "登记机关", "core.authority_name", True), ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-002", "SCJG", "股东及出资信息", "shareholders and capital contributions", "shareholders_contributions", "daily", "csv_utf8", 540_000, ("uscc", "shareholder_name"), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("shareholder_type", "股东类型", "core.shareholder_type", True),
        ("shareholder_name", "股东名称", "core.shareholder_name", True), ("shareholder_id", "证照号码", "core.resident_id", False),
        ("shareholder_uscc", "股东统一社会信用代码", "core.uscc", False), ("subscribed_amount", "认缴出资额（万元）", "core.amount_wan", True),
        ("paid_amount", "实缴出资额（万元）", "core.amount_wan", True), ("contribution_method", "出资方式", "core.contribution_method", True),
        ("contribution_date", "出资日期", "core.date", True), ("share_ratio", "出资比例", "core.ratio_percent", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-003", "SCJG", "企业年度报告信息", "annual reports", "annual_reports", "yearly", "jsonl", 1_870_000, ("uscc", "report_year"), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("report_year", "年报年度", "core.year", True),
        ("report_date", "报送日期", "core.date", True), ("employees", "从业人数", "core.count", True),
        ("paid_in_capital", "实缴资本（万元）", "core.paid_in_capital", True), ("revenue", "营业总收入（元）", "core.amount_yuan", False),
        ("tax_paid", "纳税总额（元）", "core.amount_yuan", False), ("phone", "企业联系电话", "core.mobile", False),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-004", "SCJG", "变更登记信息", "registration changes", "registration", "daily", "csv_utf8", 870_000, ("uscc", "change_date", "change_item"), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("change_item", "变更事项", "core.change_item", True),
        ("change_date", "变更日期", "core.date", True), ("content_before", "变更前内容", "core.change_content", False),
        ("content_after", "变更后内容", "core.change_content", False), ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-005", "SCJG", "双随机抽查检查结果信息", "random-inspection results", "inspections", "daily", "csv_utf8", 155_000, ("task_id", "uscc"), [
        ("task_id", "任务编号", "core.task_id", True), ("uscc", "统一社会信用代码", "core.uscc", True),
        ("entity_name", "企业名称", "core.entity_name", True), ("inspection_mode", "检查方式", "core.inspection_mode", True),
        ("inspection_item", "抽查事项", "core.inspection_item", True), ("inspection_date", "检查日期", "core.date", True),
        ("inspection_result", "检查结果", "core.inspection_result", True), ("authority", "检查机关", "core.authority_name", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-006", "SCJG", "行政处罚信息", "administrative penalties", "penalties", "daily", "csv_gbk", 88_000, ("decision_no",), [
        ("decision_no", "决定书文号", "core.decision_no", True), ("uscc", "统一社会信用代码", "core.uscc", True),
        ("entity_name", "当事人名称", "core.entity_name", True), ("violation_type", "违法行为类型", "core.violation_type", True),
        ("penalty_type", "处罚种类", "core.penalty_type", True), ("fine_amount", "罚款金额（元）", "core.amount_yuan", False),
        ("decision_date", "处罚决定日期", "core.date", True), ("authority", "处罚机关", "core.authority_name", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-007", "SCJG", "经营异常名录信息", "abnormal-operation list", "abnormal_operations", "daily", "csv_utf8", 105_000, ("uscc", "listing_date"), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("entity_name", "企业名称", "core.entity_name", True),
        ("listing_reason", "列入原因", "core.abnormal_reason", True), ("listing_date", "列入日期", "core.date", True),
        ("removal_date", "移出日期", "core.date", False), ("authority", "作出决定机关", "core.authority_name", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-008", "SCJG", "投诉举报信息", "complaints and reports", "complaints", "daily", "jsonl", 565_000, ("complaint_id",), [
        ("complaint_id", "工单编号", "core.record_id", True), ("uscc", "被投诉主体统一社会信用代码", "core.uscc", True),
        ("entity_name", "被投诉主体名称", "core.entity_name", True), ("received_date", "登记日期", "core.date", True),
        ("district_code", "发生地所属区", "core.district_code", True), ("category", "诉求类型", "core.complaint_category", True),
        ("complaint_text", "诉求内容", "core.complaint_text", True), ("status", "办理状态", "core.handling_status", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-009", "SCJG", "行政许可证件信息", "licences", "licences", "daily", "csv_utf8", 620_000, ("licence_no",), [
        ("licence_no", "许可证编号", "core.licence_no", True), ("uscc", "统一社会信用代码", "core.uscc", True),
        ("licence_type", "许可证类型", "core.licence_type", True), ("issue_date", "发证日期", "core.date", True),
        ("expiry_date", "有效期至", "core.date", True), ("authority", "发证机关", "core.authority_name", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SCJG-010", "SCJG", "严重违法失信名单信息", "serious-violation list", "serious_violations", "weekly", "xlsx", 3_400, ("uscc", "listing_date"), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("entity_name", "企业名称", "core.entity_name", True),
        ("listing_reason", "列入原因", "core.serious_violation_reason", True), ("listing_date", "列入日期", "core.date", True),
        ("authority", "作出决定机关", "core.authority_name", True), ("update_time", "更新时间", "core.update_time", True)]),
    ("SWJ-001", "SWJ", "纳税申报信息", "tax declarations", "tax", "monthly", "csv_gbk", 21_850_000, ("uscc", "period", "tax_type"), [
        ("uscc", "纳税人识别号", "core.uscc", True), ("period", "所属期", "core.period_month", True),
        ("tax_type", "征收项目", "core.tax_type", True), ("declared_amount", "申报税额（元）", "core.amount_yuan", True),
        ("paid_amount", "实缴税额（元）", "core.amount_yuan", True), ("declare_date", "申报日期", "core.date", True),
        ("update_time", "更新时间", "core.update_time", True)]),
    ("SBJ-001", "SBJ", "单位社会保险缴费信息", "employer social-insurance contributions", "social_insurance", "monthly", "csv_utf8", 16_500_000, ("uscc", "period", "insurance_type"), [
        ("uscc", "统一社会信用代码", "core.uscc", True), ("period", "费款所属期", "core.period_month", True),
        ("insurance_type", "险种", "core.insurance_type", True), ("insured_count", "参保人数", "core.count", True),
        ("paid_amount", "实缴金额（元）", "core.amount_yuan", True), ("update_time", "更新时间", "core.update_time", True)]),
    ("GDFS-001", "GDFS", "企业用电信息", "business power consumption", "utilities", "monthly", "csv_utf8", 11_370_000, ("account_no", "period"), [
        ("account_no", "用电户号", "core.account_no", True), ("uscc", "统一社会信用代码", "core.uscc", True),
        ("period", "电费年月", "core.period_month", True), ("kwh", "抄见电量（千瓦时）", "core.energy_kwh", True),
        ("amount", "电费金额（元）", "core.amount_yuan", True), ("update_time", "更新时间", "core.update_time", True)]),
    ("FSSW-001", "FSSW", "企业用水信息", "business water consumption", "utilities", "monthly", "csv_utf8", 10_700_000, ("account_no", "period"), [
        ("account_no", "用水户号", "core.account_no", True), ("uscc", "统一社会信用代码", "core.uscc", True),
        ("period", "水费年月", "core.period_month", True), ("m3", "用水量（立方米）", "core.water_m3", True),
        ("amount", "水费金额（元）", "core.amount_yuan", True), ("update_time", "更新时间", "core.update_time", True)]),
    ("ZJFY-001", "ZJFY", "涉企诉讼及执行案件信息", "court cases involving enterprises", "court_judgments", "daily", "jsonl", 150_000, ("case_no",), [
        ("case_no", "案号", "core.case_no", True), ("uscc", "当事人统一社会信用代码", "core.uscc", True),
        ("entity_name", "当事人名称", "core.entity_name", True), ("case_type", "案件类型", "core.case_type", True),
        ("filing_date", "立案日期", "core.date", True), ("amount", "标的金额（元）", "core.amount_yuan", False),
        ("update_time", "更新时间", "core.update_time", True)]),
]

N_CATALOGS = 552


def _abbrev(code: str) -> str:
    letters = "".join(ch for ch in code if ch.isalpha())
    return (letters[:3] or "X").upper()


def build() -> dict[str, list[list]]:
    """Everything the files hold, as rows (deterministic)."""
    rnd = random.Random(SEED)
    departments = [[c, zh, en, lvl] for c, zh, en, lvl, _s, _t in DEPARTMENTS]
    assert len(departments) == 96, len(departments)

    code_rows: list[list] = []
    for domain, entries in CODE_TABLES.items():
        for code, zh, en in entries:
            code_rows.append([domain, code, zh, en, ""])

    std_rows: list[list] = []
    for sid, zh, en, dtype, validator, extra, dzh, den in CORE_STANDARDS:
        std_rows.append(_std_row(sid, zh, en, "core", dtype, validator, extra, dzh, den))

    cat_rows: list[list] = []
    field_rows: list[list] = []
    for code, dept, zh, en, subject, freq, fmt, est, keys, fields in CORE_CATALOGS:
        cat_rows.append([code, zh, en, dept, subject, freq, fmt, ";".join(keys), est, f"{zh}（{DEPARTMENT_NAME[dept]}提供）", f"{en} delivered by the {DEPARTMENT_EN[dept]}"])
        for pos, (name, src, std, req) in enumerate(fields, start=1):
            field_rows.append([code, pos, name, src, std, "true" if req else "false"])

    # department-specific catalogs: share out the remaining catalogs by department weight
    remaining = N_CATALOGS - len(CORE_CATALOGS)
    weights = []
    for c, _zh, _en, lvl, _s, topics in DEPARTMENTS:
        w = len(topics.split("|")) * {"city": 1.4, "central": 1.3, "court": 0.8, "utility": 0.9, "district": 0.7}[lvl]
        weights.append(w * (2.2 if c in ("SCJG", "SWJ", "RSJ", "SSTHJJ") else 1.0))
    quota = _share(remaining, weights)
    core_counts = {d: sum(1 for x in CORE_CATALOGS if x[1] == d) for d, *_ in DEPARTMENTS}
    generic_est: list[float] = []
    for (dept, dzh, den, _lvl, subject, topics), n in zip(DEPARTMENTS, quota):
        topic_list = [t.split(":") for t in topics.split("|")]
        combos = [(t, k) for k in KINDS for t in topic_list]
        # weighted sampling without replacement (Efraimidis-Spirakis keys)
        keyed = sorted(combos, key=lambda tk: -rnd.random() ** (1.0 / KIND_WEIGHTS[KINDS.index(tk[1])]))
        combos = sorted(keyed[:n], key=lambda tk: (topic_list.index(tk[0]), KINDS.index(tk[1])))
        seq = core_counts.get(dept, 0)
        std_seq = 0
        pfx = _abbrev(dept)
        for (tzh, ten), (kzh, ken, ksubject, kfreq) in combos:
            seq += 1
            code = f"{dept}-{seq:03d}"
            cname = f"{tzh}{kzh}信息"
            cen = f"{ten} {ken}"
            fmt = rnd.choices(["csv_utf8", "csv_gbk", "jsonl", "xlsx"], weights=[55, 20, 17, 8])[0]
            fields = [("record_id", "记录编号", "core.record_id", True), ("uscc", "统一社会信用代码", "core.uscc", True), ("entity_name", "单位名称", "core.entity_name", True)]
            concepts = rnd.sample(CONCEPTS, rnd.randint(14, 19))
            concepts.sort(key=CONCEPTS.index)
            for czh, cen_, kind in concepts:
                std_seq += 1
                sid = f"{dept}.{std_seq:04d}"
                sname = f"{tzh}{kzh}{czh}" if kind not in ("district", "town", "village", "industry") else f"{tzh}{czh}"
                sen = f"{ten} {ken} {cen_}"
                row, codes = _concept_standard(sid, sname, sen, dept, kind, pfx, std_seq, rnd)
                std_rows.append(row)
                code_rows.extend(codes)
                fname = _snake(cen_)
                fields.append((fname, czh, sid, kind not in ("text", "phone", "person", "resident_id") or rnd.random() < 0.5))
            fields.append(("update_time", "更新时间", "core.update_time", True))
            if kfreq == "yearly":
                est_weight = 0.15
            elif kfreq == "monthly":
                est_weight = 3.0
            else:
                est_weight = 1.0
            generic_est.append(est_weight * rnd.lognormvariate(0, 1.0))
            cat_rows.append([code, cname, cen, dept, ksubject or subject, kfreq, fmt, "record_id", 0, f"{dzh}的{cname}", f"{cen} of the {den}"])
            for pos, (name, src, std, req) in enumerate(fields, start=1):
                field_rows.append([code, pos, name, src, std, "true" if req else "false"])

    # volumes: the generic catalogs share what the hand-written ones leave of 140M
    core_total = sum(x[7] for x in CORE_CATALOGS)
    left = TOTAL_RECORDS_SF1 - core_total
    generic_rows = [row for row in cat_rows if row[8] == 0]
    # governance teams send spreadsheets only for small tables; the others make up the rest
    fixed = {i for i, row in enumerate(generic_rows) if row[6] == "xlsx"}
    fixed_est = {i: min(40_000, max(1000, int(round(generic_est[i] * left / sum(generic_est), -2)))) for i in fixed}
    free_left = left - sum(fixed_est.values())
    free_sum = sum(w for i, w in enumerate(generic_est) if i not in fixed)
    for i, row in enumerate(generic_rows):
        row[8] = fixed_est[i] if i in fixed else max(1000, int(round(generic_est[i] * free_left / free_sum, -2)))
    return {
        "departments.csv": departments,
        "code_tables.csv": code_rows,
        "standards.csv": std_rows,
        "catalogs.csv": cat_rows,
        "catalog_fields.csv": field_rows,
    }


DEPARTMENT_NAME = {c: zh for c, zh, *_ in DEPARTMENTS}
DEPARTMENT_EN = {c: en for c, _zh, en, *_ in DEPARTMENTS}


def _snake(en: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in en.lower()).strip("_").replace("__", "_")


def _share(total: int, weights: list[float]) -> list[int]:
    raw = [total * w / sum(weights) for w in weights]
    out = [max(1, int(x)) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(out) < total:
        out[order[i % len(order)]] += 1
        i += 1
    while sum(out) > total:
        j = max(range(len(out)), key=lambda k: out[k])
        out[j] -= 1
    return out


def _std_row(sid, zh, en, dept, dtype, validator, extra, dzh, den) -> list:
    return [
        sid, zh, en, dept, dtype, extra.get("length", ""), extra.get("scale", ""), extra.get("pattern", ""),
        extra.get("domain", ""), validator, extra.get("min_value", ""), extra.get("max_value", ""), extra.get("unit", ""),
        extra.get("pii_class", "none"), extra.get("reference", ""), dzh, den,
    ]


def _concept_standard(sid, zh, en, dept, kind, pfx, seq, rnd) -> tuple[list, list]:
    """A department-specific standard for one field concept, and its code table rows."""
    dzh = f"{DEPARTMENT_NAME[dept]}记录的{zh}"
    den = f"the {en} as recorded by the {DEPARTMENT_EN[dept]}"
    codes: list[list] = []
    if kind in ("id", "id2"):
        letters = pfx + "ABCDEFGHJKLMNPQRSTUVWXYZ"[seq % 24]
        if kind == "id":
            pattern = rf"^{letters}\d{{{rnd.choice([8, 10, 12])}}}$"
        else:
            pattern = rf"^{letters}\d{{4}}-\d{{{rnd.choice([5, 6])}}}$"
        return _std_row(sid, zh, en, dept, "string", "pattern", {"length": 24, "pattern": pattern}, dzh, den), codes
    if kind == "date":
        return _std_row(sid, zh, en, dept, "date", "date", {"length": 10}, dzh, den), codes
    if kind == "datetime":
        return _std_row(sid, zh, en, dept, "datetime", "datetime", {"length": 19}, dzh, den), codes
    if kind == "amount":
        return _std_row(sid, zh + "（元）", en + " (yuan)", dept, "decimal", "decimal", {"length": 18, "scale": 2, "min_value": 0, "max_value": 1e10, "unit": "元"}, dzh, den), codes
    if kind in ("area", "measure"):
        unit = "平方米" if kind == "area" else rnd.choice(["千克", "吨", "毫克/升", "千瓦时", "立方米"])
        return _std_row(sid, zh, en, dept, "decimal", "decimal", {"length": 14, "scale": 2, "min_value": 0, "max_value": 1e8, "unit": unit}, dzh, den), codes
    if kind == "count":
        return _std_row(sid, zh, en, dept, "integer", "integer", {"min_value": 0, "max_value": 100000}, dzh, den), codes
    if kind == "percent":
        return _std_row(sid, zh, en, dept, "decimal", "decimal", {"length": 7, "scale": 2, "min_value": 0, "max_value": 100, "unit": "%"}, dzh, den), codes
    if kind == "year":
        return _std_row(sid, zh, en, dept, "integer", "integer", {"min_value": 1949, "max_value": 2100}, dzh, den), codes
    if kind == "month":
        return _std_row(sid, zh, en, dept, "string", "pattern", {"length": 6, "pattern": r"^(19|20)\d{2}(0[1-9]|1[0-2])$"}, dzh, den), codes
    if kind in ("status", "category", "grade", "result"):
        table = {"status": STATUS_NAMES, "category": CATEGORY_NAMES, "grade": GRADE_NAMES, "result": RESULT_NAMES}[kind]
        domain = f"{sid}.codes"
        k = rnd.randint(3, len(table))
        for code, czh, cen in table[:k]:
            codes.append([domain, code, czh, cen, ""])
        return _std_row(sid, zh, en, dept, "code", "code_table", {"length": 2, "domain": domain}, dzh, den), codes
    if kind == "flag":
        return _std_row(sid, zh, en, dept, "code", "code_table", {"length": 1, "domain": "yes_no"}, dzh, den), codes
    if kind == "text":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 500}, dzh, den), codes
    if kind == "text_short":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 100}, dzh, den), codes
    if kind == "person":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 30, "pattern": r"^[\u3400-\u9fff·]{2,30}$", "pii_class": "person_name"}, dzh, den), codes
    if kind == "resident_id":
        return _std_row(sid, zh, en, dept, "string", "resident_id", {"length": 18, "pii_class": "id_number", "reference": "GB 11643-1999"}, dzh, den), codes
    if kind == "phone":
        return _std_row(sid, zh, en, dept, "string", "phone", {"length": 13, "pii_class": "phone"}, dzh, den), codes
    if kind == "address":
        return _std_row(sid, zh, en, dept, "string", "text", {"length": 200, "pii_class": "address"}, dzh, den), codes
    if kind in ("district", "town", "village"):
        domain = {"district": "foshan_district", "town": "foshan_town", "village": "foshan_village"}[kind]
        return _std_row(sid, zh, en, dept, "code", "code_table", {"length": {"district": 6, "town": 9, "village": 12}[kind], "domain": domain, "reference": "GB/T 2260"}, dzh, den), codes
    if kind == "industry":
        return _std_row(sid, zh, en, dept, "code", "code_table", {"length": 4, "domain": "gbt4754_class", "reference": "GB/T 4754-2017"}, dzh, den), codes
    raise ValueError(kind)


def write(data_dir: Path = DATA_DIR) -> dict[str, int]:
    data_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in build().items():
        with (data_dir / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(FILES[name])
            w.writerows(rows)
        counts[name] = len(rows)
    return counts


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR))

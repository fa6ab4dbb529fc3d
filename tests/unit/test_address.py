"""Address normalisation: variants of one address give one key; different places do not."""

import datetime as dt

import pytest

from lakehouse.gold.clusters.address import address_key, clean, cn_to_int, parse
from lakehouse.gold.clusters.detect import windows

BASE = "广东省佛山市禅城区石湾镇街道黎冲村创中大街374号8栋2层"
VARIANTS = [
    BASE,
    "佛山市禅城区石湾镇街道黎冲村创中大街374号8栋2层",  # no province
    "禅城区石湾镇街道黎冲村创中大街374号8栋2层",  # no province, no city
    "广东省佛山市禅城区石湾镇街道黎冲村创中大街３７４号８栋２层",  # full-width digits
    "广东省佛山市禅城区 石湾镇街道 黎冲村 创中大街374号 8栋 2层",  # spaces
    "广东省佛山市禅城区石湾镇街道黎冲村\u3000创中大街374号8栋2层\t",  # ideographic space, tab
    "廣東省佛山市禪城區石灣鎮街道黎冲村創中大街374號8棟2層",  # traditional characters
    "广东省佛山市禅城区石湾镇黎冲村创中大街374号8栋2层",  # town short form
    "广东省佛山市禅城区石湾街道黎冲村委会创中大街374号8栋2层",  # other town / village forms
    "广东省佛山市石湾镇街道黎冲村创中大街374号8栋2层",  # district missing: from the town
    "广东省佛山市禅城区石湾镇街道黎冲村创中大街三百七十四号八栋二层",  # Chinese numerals
    "广东省佛山市禅城区石湾镇街道黎冲村创中大街374#8座2楼",  # 374# / 8座 / 2楼
    "广东省佛山市禅城区石湾镇街道黎冲村创中大街374号8栋2层（住所申报）",  # a note in brackets
    "广东省佛山市禅城区石湾镇街道创中大街374号8栋2层",  # village missing
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_share_one_key(variant):
    assert parse(variant).key == parse(BASE).key
    assert parse(BASE).key == "440604|440604010|创中大街|374||8|2||"


def test_rooms_and_sub_numbers():
    a = parse("广东省佛山市禅城区祖庙街道普东社区景庙西路135号20座1705室")
    for v in [
        "禅城区祖庙街道普东社区景庙西路135號20座1705房",
        "佛山市禅城区祖庙普东社区景庙西路135号20栋1705号房",
        "禅城区祖庙街道景庙西路１３５号二十座一七零五室",
    ]:
        assert parse(v).key == a.key, v
    assert (a.road, a.number, a.building, a.room) == ("景庙西路", "135", "20", "1705")
    assert parse("南海区桂城街道南海大道12号之3").key == parse("南海区桂城街道南海大道12-3号").key
    assert parse("南海区桂城街道南海大道12号之3").sub == "3"
    # 首层之5: ground floor, unit 5
    f = parse("广东省佛山市禅城区石湾镇街道泷景社区南石街110号首层之5")
    assert (f.floor, f.room) == ("1", "5")


def test_missing_parts_come_from_the_record():
    # no district and no town in the text: the record's codes fill them
    k = parse("黎冲村创中大街374号8栋2层", district_code="440604", town_code="440604010").key
    assert k == parse(BASE).key
    # road ordinals: 季华一路 = 季华1路
    assert parse("佛山市南海区桂城街道季华一路12号").key == parse("南海区桂城街道季华1路12号").key


def test_different_places_differ():
    keys = {
        parse(BASE).key,
        parse(BASE.replace("374号", "375号")).key,
        parse(BASE.replace("8栋", "9栋")).key,
        parse(BASE.replace("2层", "3层")).key,
        parse(BASE.replace("创中大街", "创中路")).key,
        parse(BASE.replace("禅城区石湾镇街道", "南海区桂城街道")).key,
        parse("广东省佛山市禅城区祖庙街道普东社区景庙西路135号20座1705室").key,
        parse("广东省佛山市禅城区祖庙街道普东社区景庙西路135号20座1706室").key,
    }
    assert len(keys) == 8


def test_district_names_inside_road_names_are_not_districts():
    a = parse("广东省佛山市南海区桂城街道南海大道88号")
    assert (a.district_code, a.town_code, a.road, a.number) == ("440605", "440605011", "南海大道", "88")
    b = parse("佛山市三水区西南街道三水大道12号")
    assert (b.district_code, b.road) == ("440607", "三水大道")


def test_clean_and_numerals():
    assert cn_to_int("三百七十四") == 374
    assert cn_to_int("一零二") == 102
    assert cn_to_int("十二") == 12
    assert cn_to_int("两") == 2
    assert cn_to_int("路") is None
    assert clean(" 创中大街\u3000３７４號 ") == "创中大街374号"
    assert address_key("") is None and address_key(None) is None
    # text without road and number is kept whole, still comparable
    assert parse("佛山市禅城区石湾镇街道某某工业园内").rest == parse("禅城区石湾镇街道 某某工业园内").rest != ""


def test_windows_take_the_densest_window_first():
    d = dt.date(2024, 3, 1)
    days = [0, 1, 1, 2, 3, 5, 40, 41, 42, 43, 44, 200]
    dates = [d + dt.timedelta(days=x) for x in days]
    groups = windows(dates, window_days=7, min_size=5)
    assert [sorted(g) for g in groups] == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    assert windows(dates, window_days=7, min_size=7) == []
    # an early outlier does not pull the window away from the cluster: equal counts, the tighter wins
    dates2 = [d, d + dt.timedelta(days=6)] + [d + dt.timedelta(days=9 + i) for i in range(5)]
    assert [sorted(g) for g in windows(dates2, 6, 5)] == [[2, 3, 4, 5, 6]]

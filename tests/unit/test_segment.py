"""Segmentation with real jieba: supervision terms kept whole, stopwords and noise dropped."""

import pytest

from lakehouse.config.complaints import ComplaintsSettings
from lakehouse.errors import RegulakeError
from lakehouse.gold.complaints import segment


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    cache = tmp_path_factory.mktemp("jieba-cache")
    return segment.load_resources(ComplaintsSettings(jieba_cache_dir=str(cache)))


@pytest.fixture(scope="module")
def tok(res):
    # the tokenizer is cached per process by the resources' digest: another module's (other cache folder) must not be reused
    segment._TOKENIZERS.pop(res.digest, None)
    segment.LOADS.pop(res.digest, None)
    return segment.tokenizer(res)


@pytest.mark.parametrize(
    "text, term",
    [
        ("在该店就餐后出现腹泻，怀疑食品变质，要求赔偿并依法查处", "食品变质"),
        ("办理的会员卡预付卡跑路，要求退还余款", "预付卡跑路"),
        ("该商户销售的手机缺斤短两，要求依法处理", "缺斤短两"),
        ("该场所噪音扰民，影响周边居民休息", "噪音扰民"),
        ("该餐厅卫生脏乱，后厨环境差", "卫生脏乱"),
        ("该店无健康证上岗，超范围经营", "无健康证上岗"),
        ("网购的保健品存在价格欺诈和虚假宣传", "价格欺诈"),
        ("商家销售三无产品，拨打１２３１５投诉", "三无产品"),
        ("请市场监管局依法查处无证经营行为", "无证经营"),
    ],
)
def test_supervision_terms_stay_whole(tok, res, text, term):
    words = segment.words(tok, text, res)
    assert term in words
    assert not (term[:2] in words and term[2:] in words)  # not also split into its halves


def test_stopwords_punctuation_digits_and_short_tokens_are_dropped(tok, res):
    words = segment.words(tok, "该店在2024年5月多收顾客钱款，要求依法查处！！", res)
    assert "多收" in words and "钱款" in words
    for noise in ("该店", "要求", "依法查处", "在", "，", "2024", "！", "年"):
        assert noise not in words
    assert segment.words(tok, "", res) == [] and segment.words(tok, None, res) == []
    # full-width input is normalised first
    assert "12315" in segment.words(tok, "拨打１２３１５热线", res)


def test_tokenizer_is_built_once_per_process(res):
    t1 = segment.tokenizer(res)
    t2 = segment.tokenizer(res)
    assert t1 is t2 and segment.LOADS[res.digest] == 1


def test_cache_goes_to_the_configured_folder(res, tok):
    import os

    assert tok.tmp_dir == res.cache_dir
    assert any(name.startswith("jieba") for name in os.listdir(res.cache_dir))


def test_user_dictionary_format_and_missing_files(tmp_path):
    assert segment.parse_userdict(["食品变质", "预付卡跑路 2000 n", "三无产品 nz"]) == [
        ("食品变质", None, None),
        ("预付卡跑路", 2000, "n"),
        ("三无产品", None, "nz"),
    ]
    with pytest.raises(RegulakeError, match="userdict_paths"):
        segment.load_resources(ComplaintsSettings(userdict_paths=[str(tmp_path / "nope.txt")]))
    extra = tmp_path / "extra.txt"
    extra.write_text("# a comment\n扶梯夹脚\n", encoding="utf-8")
    res = segment.load_resources(ComplaintsSettings(userdict_paths=[str(extra)], jieba_cache_dir=str(tmp_path)))
    got = segment.words(segment.tokenizer(res), "商场扶梯夹脚伤人，食品变质", res)
    assert "扶梯夹脚" in got and "食品变质" in got  # the packaged dictionary stays, the extra one adds
    bare = segment.load_resources(ComplaintsSettings(builtin_userdict=False, builtin_stopwords=False, jieba_cache_dir=str(tmp_path)))
    assert bare.terms == () and not bare.stopwords


def test_part_of_speech_filter_keeps_content_words(res):
    seg = segment.segmenter(res)
    got = seg.words("这家店的服务态度非常恶劣，我们一共等了三个小时，居然还多收钱款")
    for w in ("服务态度", "恶劣", "钱款", "多收"):
        assert w in got, (w, got)
    for w in ("非常", "我们", "三个", "居然"):  # adverbs, pronouns, numerals
        assert w not in got, (w, got)
    tags = dict(seg.tagged("该店虚假宣传，非常恶劣"))
    assert tags["虚假宣传"] == "nz" and tags["非常"] == "d" and tags["恶劣"] == "a"  # user-dictionary term: its own tag


def test_userdict_tags_and_taggers(tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text("扶梯夹脚 n\n", encoding="utf-8")
    base = dict(userdict_paths=[str(extra)], jieba_cache_dir=str(tmp_path))
    for tagger in ("lookup", "posseg", "posseg_no_hmm"):
        res = segment.load_resources(ComplaintsSettings(**base, pos={"tagger": tagger}))
        seg = segment.segmenter(res)
        assert dict(seg.tagged("商场扶梯夹脚伤人"))["扶梯夹脚"] == "n"
        assert "食品变质" in seg.words("他们的食品变质了") and "他们" not in seg.words("他们的食品变质了")
    # a user term is kept whatever its tag and the kept set
    res = segment.load_resources(ComplaintsSettings(**base, pos={"keep_tags": ["v"]}))
    assert segment.segmenter(res).words("商场扶梯夹脚，食品变质") == ["扶梯夹脚", "食品变质"]  # 商场 (n) is not kept
    off = segment.load_resources(ComplaintsSettings(**base, pos={"enabled": False}))
    assert "居然" in segment.segmenter(off).words("居然多收钱款")
    assert "居然" not in segment.segmenter(segment.load_resources(ComplaintsSettings(**base))).words("居然多收钱款")


def test_pos_settings_forbid_unknown_keys():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ComplaintsSettings(pos={"keep": ["n"]})
    with pytest.raises(ValidationError):
        ComplaintsSettings(pos={"tagger": "hmm"})
    with pytest.raises(ValidationError):
        ComplaintsSettings(keyness={"smoothing": 1})


def test_keyness_background_and_formulas(tmp_path):
    from lakehouse.gold.complaints import keyness as K

    counts, total = K.background()
    assert len(counts) > 300_000 and total > 50_000_000 and counts["酒店"] > 0 and "食品变质" not in counts
    own = tmp_path / "bg.txt"
    own.write_text("投诉 10\n酒店 90 n\n", encoding="utf-8")
    assert K.background(str(own)) == ({"投诉": 10, "酒店": 90}, 100)
    with pytest.raises(RegulakeError, match="background_path"):
        K.background(str(tmp_path / "missing.txt"))
    # a word absent from the background: per_million / k + 1; as common as in general text: 1
    assert K.keyness(5, 1000, 0, 100, 10) == pytest.approx(5000 / 10 + 1)
    assert K.keyness(1, 1000, 1, 1000, 10) == pytest.approx(1.0)
    assert K.log_likelihood(50, 1000, 1, 1000) > 0 > K.log_likelihood(1, 1000, 50, 1000)
    assert K.bigram_llr(20, 20, 20, 10_000) > 10.83 > K.bigram_llr(1, 100, 100, 10_000)
    assert K.join_phrase("虚假", "宣传") == "虚假宣传" and K.join_phrase("check", "in") == "check in"
    docs = [["商家", "虚假", "宣传", "退款"]] * 6 + [["宣传", "单页"], ["虚假", "发票"]]
    found = K.find_phrases(docs, window=1, min_count=5, min_llr=0)
    assert "虚假宣传" in {p.phrase for p in found}
    assert K.phrase_occurrences(["虚假", "宣传"], {("虚假", "宣传"): "虚假宣传"}, 1) == ["虚假宣传"]

"""Personal data: keyed hashes and masked display values."""

import pytest

from lakehouse.config import load_config
from lakehouse.errors import ConfigError
from lakehouse.privacy import hmac_hex, hmac_key, mask_value


def test_hmac_is_keyed_and_stable():
    a = hmac_hex(b"k" * 16, "440604199001011234")
    assert a == hmac_hex(b"k" * 16, "440604199001011234") and len(a) == 64
    assert a != hmac_hex(b"j" * 16, "440604199001011234")
    assert hmac_hex(b"k" * 16, None) is None and hmac_hex(b"k" * 16, "") is None


def test_masks_hide_the_middle():
    assert mask_value("44060419900101123X", "id_number") == "440604********123X"
    assert mask_value("13800138000", "phone") == "138****8000"
    assert mask_value("张三丰", "person_name") == "张**"
    assert mask_value(None, "phone") is None


def test_key_comes_from_config_or_environment(tmp_path, monkeypatch):
    (tmp_path / "base.yaml").write_text("privacy:\n  hmac_key_env: MY_KEY\n")
    (tmp_path / "local.yaml").write_text("")
    cfg = load_config("local", conf_dir=tmp_path, environ={})
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match="MY_KEY"):
        hmac_key(cfg)
    monkeypatch.setenv("MY_KEY", "a-long-enough-secret-key")
    assert hmac_key(cfg) == b"a-long-enough-secret-key"

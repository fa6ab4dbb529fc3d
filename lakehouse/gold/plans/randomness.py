"""Public randomness for plan draws: where a draw's unpredictability comes from.

A plan is committed first (``regulake plan commit``): the register fingerprint and the hashes of the
parties' secret shares are published, and the commitment names the public value the draw will mix in —
"the first value of source S after time T", T = commitment time + a configured delay. Nobody knows that
value at commitment time, and once T has passed nobody can choose it. Every source has the same small
interface (``Source``):

* ``describe()`` — what the commitment records about the source (kind, id, public key …);
* ``target(T)`` — which value the draw will use (e.g. drand round 1,234,567, the first after T);
* ``fetch(target, now)`` — that value, verified; ``ValueNotYet`` (the draw waits and says why) when it is
  not published yet or cannot be reached, ``InvalidPublicValue`` (refused) when it does not verify;
* ``verify(description, target, value)`` (module function) — re-checks a recorded value offline, from
  the recorded data alone: what ``plan verify`` and the standalone verifier run.

Sources:

* ``drand`` — a drand beacon (the League of Entropy's; ``quicknet`` by default): the first round whose
  time is after T, fetched over HTTP from the relays in order, its BLS signature verified against the
  chain's public key pinned in the configuration (never the relay's word). Schemes
  ``bls-unchained-g1-rfc9380`` (quicknet: signatures on G1, public key on G2, message
  SHA-256(round as 8-byte big-endian)), ``pedersen-bls-chained`` (the 30-second default chain: signatures
  on G2, message SHA-256(previous signature ‖ round)) and ``pedersen-bls-unchained``. The randomness is
  SHA-256(signature). A deployment that cannot reach a relay passes the round's JSON fetched elsewhere
  (``--beacon-round FILE``): it is verified the same way.
* ``published`` — a JSON-lines file of published values (a national lottery's numbers, a stock index
  close …), each entered with its source, reference, publication time and address
  (``regulake plan enter-value``): the first value of the configured source published after T. No
  signature: anyone checks it against the cited publication.
* ``local`` — no public value: the seed comes from the shares of several parties alone (a closed
  network). Unpredictable as long as one party kept their share secret until the draw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.errors import RegulakeError


class ValueNotYet(RegulakeError):
    """The public value the draw needs is not available yet: the draw waits (try again later)."""


class InvalidPublicValue(RegulakeError):
    """A public value that does not verify: the draw is refused."""


def utc(t: dt.datetime | str) -> dt.datetime:
    """Naive UTC datetime of an aware/naive datetime or ISO text (naive = UTC)."""
    if isinstance(t, str):
        t = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def iso(t: dt.datetime) -> str:
    return utc(t).isoformat(timespec="microseconds") + "Z"


# ---------------------------------------------------------------------------
# drand


# Chain parameters as the League of Entropy publishes them (GET <relay>/<chain hash>/info).
KNOWN_CHAINS: dict[str, dict[str, Any]] = {
    "quicknet": {
        "hash": "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
        "public_key": "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d10645"
        "10d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
        "period": 3,
        "genesis_time": 1692803367,
        "schemeID": "bls-unchained-g1-rfc9380",
        "beaconID": "quicknet",
    },
    "default": {
        "hash": "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
        "public_key": "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
        "period": 30,
        "genesis_time": 1595431050,
        "schemeID": "pedersen-bls-chained",
        "beaconID": "default",
    },
}
DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
DST_G2 = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"
SCHEMES = ("bls-unchained-g1-rfc9380", "pedersen-bls-chained", "pedersen-bls-unchained")


def round_time(info: dict, round_: int) -> dt.datetime:
    """When a round is emitted: genesis + (round − 1) × period (UTC)."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(info["genesis_time"]) + (round_ - 1) * int(info["period"]))


def first_round_after(info: dict, t: dt.datetime) -> int:
    """The first round emitted strictly after ``t``."""
    secs = (utc(t) - dt.datetime(1970, 1, 1)).total_seconds() - int(info["genesis_time"])
    if secs < 0:
        return 1
    return int(math.floor(secs / int(info["period"]))) + 2


def beacon_message(scheme: str, round_: int, previous_signature: bytes | None) -> bytes:
    r = round_.to_bytes(8, "big")
    if scheme == "pedersen-bls-chained":
        if not previous_signature:
            raise InvalidPublicValue("a chained drand round needs its previous signature")
        return hashlib.sha256(previous_signature + r).digest()
    return hashlib.sha256(r).digest()


def _hex(v: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(str(v))
    except ValueError:
        raise InvalidPublicValue(f"{what} is not hexadecimal") from None


def verify_bls(scheme: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """BLS signature check on BLS12-381 (py_ecc, pure Python): points decompressed, on the curve and in
    the prime-order subgroup; e(sig, g2) = e(H(m), pk) (G1 signatures) or e(g1, sig) = e(pk, H(m)) (G2)."""
    from py_ecc.bls.hash_to_curve import hash_to_G1, hash_to_G2
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.optimized_bls12_381 import FQ12, G1, G2, curve_order, final_exponentiate, is_inf, multiply, neg, pairing

    def g1(b: bytes):
        if len(b) != 48:
            raise ValueError(f"a G1 point is 48 bytes, got {len(b)}")
        return decompress_G1(int.from_bytes(b, "big"))

    def g2(b: bytes):
        if len(b) != 96:
            raise ValueError(f"a G2 point is 96 bytes, got {len(b)}")
        return decompress_G2((int.from_bytes(b[:48], "big"), int.from_bytes(b[48:], "big")))

    try:
        if scheme == "bls-unchained-g1-rfc9380":
            pk, sig, h = g2(public_key), g1(signature), hash_to_G1(message, DST_G1, hashlib.sha256)
            if is_inf(sig) or not is_inf(multiply(sig, curve_order)) or not is_inf(multiply(pk, curve_order)):
                return False
            acc = pairing(G2, sig, final_exponentiate=False) * pairing(neg(pk), h, final_exponentiate=False)
        elif scheme in ("pedersen-bls-chained", "pedersen-bls-unchained"):
            pk, sig, h = g1(public_key), g2(signature), hash_to_G2(message, DST_G2, hashlib.sha256)
            if is_inf(sig) or not is_inf(multiply(sig, curve_order)) or not is_inf(multiply(pk, curve_order)):
                return False
            acc = pairing(sig, G1, final_exponentiate=False) * pairing(h, neg(pk), final_exponentiate=False)
        else:
            raise InvalidPublicValue(f"unknown drand scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    except (ValueError, AssertionError, TypeError) as exc:  # not a point on the curve, wrong length
        raise InvalidPublicValue(f"not a valid BLS12-381 point: {exc}") from None
    return final_exponentiate(acc) == FQ12.one()


def verify_round(info: dict, beacon: dict) -> str:
    """Check a drand round against a chain's info; its randomness (hex) or InvalidPublicValue naming what failed."""
    scheme = info.get("schemeID") or info.get("scheme")
    try:
        round_ = int(beacon["round"])
        sig = _hex(beacon["signature"], "signature")
    except (KeyError, TypeError, ValueError):
        raise InvalidPublicValue("a drand round needs 'round' and 'signature'") from None
    prev = _hex(beacon["previous_signature"], "previous_signature") if beacon.get("previous_signature") else None
    msg = beacon_message(scheme, round_, prev)
    if not verify_bls(scheme, _hex(info["public_key"], "public key"), msg, sig):
        raise InvalidPublicValue(
            f"drand round {round_}: the signature does not verify against the public key of chain {str(info['hash'])[:16]}… ({scheme})"
        )
    randomness = hashlib.sha256(sig).hexdigest()
    if beacon.get("randomness") and str(beacon["randomness"]).lower() != randomness:
        raise InvalidPublicValue(f"drand round {round_}: randomness {str(beacon['randomness'])[:16]}… is not SHA-256 of its signature")
    return randomness


def http_get_json(url: str, timeout: float) -> dict:
    import urllib.request

    req = urllib.request.Request(url, headers={"User-Agent": "regulake-plan-draw", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured https relays
        return json.loads(resp.read().decode("utf-8"))


@dataclass
class DrandSource:
    info: dict
    urls: list[str]
    timeout: float = 10.0
    get: Callable[[str, float], dict] = http_get_json
    kind: str = "drand"

    def describe(self) -> dict:
        i = self.info
        return {
            "kind": "drand",
            "chain_hash": i["hash"],
            "public_key": i["public_key"],
            "period": int(i["period"]),
            "genesis_time": int(i["genesis_time"]),
            "scheme": i.get("schemeID"),
            "beacon_id": i.get("beaconID"),
            "relays": list(self.urls),
        }

    def target(self, after: dt.datetime) -> dict:
        r = first_round_after(self.info, after)
        return {
            "kind": "drand",
            "after": iso(after),
            "round": r,
            "due": iso(round_time(self.info, r)),
            "text": f"drand round {r} of chain {self.info['hash'][:16]}… ({self.info.get('beaconID') or self.info.get('schemeID')}), "
            f"the first after T, due {iso(round_time(self.info, r))}",
        }

    def accept(self, target: dict, beacon: dict, fetched_from: str) -> dict:
        if int(beacon.get("round", -1)) != int(target["round"]):
            raise InvalidPublicValue(f"the commitment names drand round {target['round']}, got round {beacon.get('round')}")
        randomness = verify_round(self.info, beacon)
        return {
            "kind": "drand",
            "round": int(beacon["round"]),
            "signature": str(beacon["signature"]).lower(),
            "previous_signature": (str(beacon["previous_signature"]).lower() if beacon.get("previous_signature") else None),
            "randomness": randomness,
            "value": randomness,
            "published_at": target["due"],
            "fetched_from": fetched_from,
        }

    def fetch(self, target: dict, now: dt.datetime) -> dict:
        due = utc(target["due"])
        if utc(now) < due:
            raise ValueNotYet(f"drand round {target['round']} is due at {target['due']} ({_in(due - utc(now))}); the draw waits for it")
        errors = []
        for base in self.urls:
            url = f"{base.rstrip('/')}/{self.info['hash']}/public/{int(target['round'])}"
            try:
                beacon = self.get(url, self.timeout)
            except Exception as exc:  # noqa: BLE001 - unreachable relay: try the next
                errors.append(f"{base}: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            return self.accept(target, beacon, url)  # a round that does not verify is refused, not skipped
        raise ValueNotYet(
            f"drand round {target['round']} could not be fetched ({'; '.join(errors) or 'no relays configured'}); "
            "the draw waits — retry, or fetch the round's JSON where a relay is reachable and pass it with --beacon-round FILE"
        )


# ---------------------------------------------------------------------------
# published values (file)


@dataclass
class PublishedSource:
    path: str
    source: str
    kind: str = "published"

    def describe(self) -> dict:
        return {"kind": "published", "source": self.source, "file": str(self.path)}

    def target(self, after: dt.datetime) -> dict:
        return {
            "kind": "published",
            "after": iso(after),
            "source": self.source,
            "text": f"the first value of '{self.source}' published after T ({iso(after)})",
        }

    def fetch(self, target: dict, now: dt.datetime) -> dict:
        entries = read_values(self.path)
        value = first_value_after(entries, self.source, utc(target["after"]))
        if value is None:
            raise ValueNotYet(
                f"no value of '{self.source}' published after T ({target['after']}) in {self.path} yet; "
                "the draw waits — enter it once it is published with 'regulake plan enter-value'"
            )
        return {"kind": "published", **value}


def read_values(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        return []
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                raise RegulakeError(f"{p}, line {n}: not a JSON object; fix or remove the line") from None
    return out


def first_value_after(entries: list[dict], source: str, after: dt.datetime) -> dict | None:
    later = [e for e in entries if e.get("source") == source and utc(e["published_at"]) > after]
    if not later:
        return None
    e = min(later, key=lambda e: (utc(e["published_at"]), str(e.get("ref"))))
    return {
        "source": e["source"],
        "ref": str(e.get("ref")),
        "value": str(e["value"]),
        "published_at": iso(utc(e["published_at"])),
        "url": e.get("url"),
        "entered_by": e.get("entered_by"),
        "entered_at": e.get("entered_at"),
    }


def enter_value(
    path: str | Path, source: str, ref: str, value: str, published_at: dt.datetime, url: str | None, entered_by: str, now: dt.datetime
) -> dict:
    """Append one published value (with its source and where it was published) to the values file."""
    if not source or not str(value).strip():
        raise RegulakeError("a published value needs its source and the value")
    if utc(published_at) > utc(now):
        raise RegulakeError(f"published_at {iso(published_at)} is in the future; enter a value once it has been published")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "source": source,
        "ref": str(ref),
        "value": str(value).strip(),
        "published_at": iso(published_at),
        "url": url,
        "entered_by": entered_by,
        "entered_at": iso(now),
    }
    dup = [e for e in read_values(p) if e.get("source") == source and str(e.get("ref")) == str(ref)]
    if dup and str(dup[0]["value"]) != entry["value"]:
        raise RegulakeError(f"'{source}' {ref} is entered already with value {dup[0]['value']!r}; a published value is never changed")
    if not dup:
        with p.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    return entry


# ---------------------------------------------------------------------------
# local multi-party


@dataclass
class LocalSource:
    kind: str = "local"

    def describe(self) -> dict:
        return {
            "kind": "local",
            "note": "no public value: the seed comes from the committed parties' shares alone; "
            "unpredictable as long as one party kept their share secret until the draw",
        }

    def target(self, after: dt.datetime) -> dict:
        return {"kind": "local", "after": iso(after), "text": "no public value (local multi-party mode)"}

    def fetch(self, target: dict, now: dt.datetime) -> dict:
        return {"kind": "local", "value": ""}


Source = DrandSource | PublishedSource | LocalSource


def chain_info(settings) -> dict:
    if settings.drand_chain == "custom":
        info = dict(settings.drand_info or {})
        missing = [k for k in ("hash", "public_key", "period", "genesis_time", "schemeID") if k not in info]
        if missing:
            raise RegulakeError(f"plans.randomness.drand_info lacks {missing} (the chain's info: GET <relay>/<chain hash>/info)")
        return info
    if settings.drand_chain not in KNOWN_CHAINS:
        raise RegulakeError(f"unknown drand chain {settings.drand_chain!r}; known: {', '.join(KNOWN_CHAINS)}, or 'custom' with drand_info")
    return dict(KNOWN_CHAINS[settings.drand_chain])


def source_from_settings(settings, get: Callable[[str, float], dict] | None = None) -> Source:
    """The source of a plan's randomness settings (``plans.randomness`` or the plan's own)."""
    if settings.source == "drand":
        return DrandSource(chain_info(settings), list(settings.drand_urls), settings.timeout_seconds, get or http_get_json)
    if settings.source == "published":
        if not settings.published_file or not settings.published_source:
            raise RegulakeError("plans.randomness.source 'published' needs published_file and published_source")
        return PublishedSource(settings.published_file, settings.published_source)
    return LocalSource()


def source_from_description(desc: dict) -> Source:
    """The source as a commitment recorded it (for verification: nothing from the configuration)."""
    kind = desc.get("kind")
    if kind == "drand":
        info = {
            "hash": desc["chain_hash"],
            "public_key": desc["public_key"],
            "period": desc["period"],
            "genesis_time": desc["genesis_time"],
            "schemeID": desc["scheme"],
            "beaconID": desc.get("beacon_id"),
        }
        return DrandSource(info, list(desc.get("relays") or []))
    if kind == "published":
        return PublishedSource(desc.get("file") or "", desc["source"])
    if kind == "local":
        return LocalSource()
    raise InvalidPublicValue(f"unknown randomness source {kind!r}")


def verify(description: dict, target: dict, value: dict, values_file: str | None = None) -> str:
    """Re-check a recorded public value from the recorded data alone; a line saying what was checked, or
    InvalidPublicValue naming what is wrong."""
    kind = description.get("kind")
    if value.get("kind") != kind or target.get("kind") != kind:
        raise InvalidPublicValue(f"the value is of kind {value.get('kind')!r} but the commitment names source {kind!r}")
    if kind == "drand":
        src = source_from_description(description)
        beacon = {k: value.get(k) for k in ("round", "signature", "previous_signature", "randomness")}
        checked = src.accept(target, beacon, value.get("fetched_from") or "")
        if checked["value"] != value.get("value"):
            raise InvalidPublicValue(f"the value used {str(value.get('value'))[:16]}… is not round {value['round']}'s randomness")
        return (
            f"drand round {value['round']} (the first after T, due {target['due']}): BLS signature verified against the "
            f"chain's public key {description['public_key'][:16]}… ({description['scheme']}); randomness {value['value'][:16]}…"
        )
    if kind == "published":
        if value.get("source") != target.get("source"):
            raise InvalidPublicValue(f"the value is from '{value.get('source')}', the commitment names '{target.get('source')}'")
        if utc(value["published_at"]) <= utc(target["after"]):
            raise InvalidPublicValue(f"the value was published at {value['published_at']}, not after T ({target['after']})")
        if value.get("entered_at") and utc(value["entered_at"]) < utc(value["published_at"]):
            raise InvalidPublicValue(f"the value was entered at {value['entered_at']}, before it was published ({value['published_at']})")
        note = f"'{value['source']}' {value.get('ref')} = {value['value']!r}, published {value['published_at']} (after T)"
        if values_file:
            expect = first_value_after(read_values(values_file), target["source"], utc(target["after"]))
            if expect is None or expect["ref"] != value.get("ref") or expect["value"] != value.get("value"):
                raise InvalidPublicValue(
                    f"{values_file} gives {expect and (expect['ref'], expect['value'])} as the first value of "
                    f"'{target['source']}' after T, the draw used {(value.get('ref'), value.get('value'))}"
                )
            return note + f"; the first such value in {values_file}"
        return note + (f"; compare it with the publication: {value['url']}" if value.get("url") else "; no publication address recorded")
    if kind == "local":
        if value.get("value"):
            raise InvalidPublicValue("local mode mixes in no public value, but one was recorded")
        return "local multi-party mode: no public value"
    raise InvalidPublicValue(f"unknown randomness source {kind!r}")


def _in(delta: dt.timedelta) -> str:
    s = max(0, int(delta.total_seconds()))
    if s < 120:
        return f"in {s} s"
    if s < 7200:
        return f"in {s // 60} min"
    return f"in {s // 3600} h {s % 3600 // 60} min"

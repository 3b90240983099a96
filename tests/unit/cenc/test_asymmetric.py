"""RC B.8.2 AsymmetricKeySystemHeaderBox: RSA-OAEP and HPKE entries, both wire versions,
unwrapped with implementations the recorder does not write with where one exists
(``pyhpke`` for HPKE; ``cryptography``'s RSA decrypt called directly with the OAEP
parameters ONVIF's reference player uses)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey

from onvif_recorder.cenc import asymmetric
from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.rotation import RotatingKey
from onvif_recorder.mp4.inspect import read_boxes
from tests.unit.cenc.certificates import ec_key, rsa_key, self_signed

CONTENT = ContentKey(bytes.fromhex("0123456789abcdef0123456789abcdef"),
                     bytes.fromhex("00112233445566778899aabbccddeeff"))


def parsed(box: bytes) -> tuple[bytes, list[asymmetric.KeyEntry]]:
    (pssh,) = read_boxes(box)
    assert pssh.name == "pssh"
    return asymmetric.parse(pssh.payload)


def test_rsa_entry_is_oaep_sha256_with_the_der_thumbprint() -> None:
    key = rsa_key()
    der = self_signed(key)
    entry = asymmetric.wrap(CONTENT.key, asymmetric.Recipient.from_certificate(der))
    box = asymmetric.pssh(CONTENT.kid, [entry])
    kid, (read,) = parsed(box)
    assert kid == CONTENT.kid
    assert (read.thumbprint_algorithm, read.thumbprint) == (2, hashlib.sha256(der).digest())
    assert read.version == 1 and len(read.encrypted_key) == 256
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                        label=None)
    assert key.decrypt(read.encrypted_key, oaep) == CONTENT.key


@pytest.mark.parametrize(("curve", "kem", "nenc"), [
    (ec.SECP256R1(), KEMId.DHKEM_P256_HKDF_SHA256, 65),
    (ec.SECP384R1(), KEMId.DHKEM_P384_HKDF_SHA384, 97),
])
def test_ec_entry_is_hpke_base_mode_opened_by_pyhpke(curve: ec.EllipticCurve, kem: KEMId,
                                                     nenc: int) -> None:
    key = ec_key(curve)
    recipient = asymmetric.Recipient.from_certificate(self_signed(key))
    box = asymmetric.pssh(CONTENT.kid, [asymmetric.wrap(CONTENT.key, recipient)])
    _, (entry,) = parsed(box)
    assert (entry.version, entry.kdf, entry.aead, len(entry.enc)) == (2, 1, 1, nenc)
    assert entry.info is None  # 25.12 layout: nothing after EncryptedSymmetricKey
    suite = CipherSuite.new(kem, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
    context = suite.create_recipient_context(entry.enc, KEMKey.from_pyca_cryptography_key(key))
    assert context.open(entry.encrypted_key) == CONTENT.key


def test_additional_info_writes_the_2606_layout_and_is_the_hpke_info() -> None:
    key = ec_key()
    recipient = asymmetric.Recipient.from_certificate(self_signed(key))
    info = b"site 7, camera 3"
    entries = [asymmetric.wrap(CONTENT.key, recipient, info) for _ in range(2)]
    box = asymmetric.pssh(CONTENT.kid, entries)
    _, read = parsed(box)
    assert [e.info for e in read] == [info, info]
    assert asymmetric.unwrap(read[1], key) == CONTENT.key
    suite = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
    context = suite.create_recipient_context(read[0].enc, KEMKey.from_pyca_cryptography_key(key),
                                             info=info)
    assert context.open(read[0].encrypted_key) == CONTENT.key


def test_both_versions_with_mixed_entries_parse() -> None:
    rsa_private, ec_private = rsa_key(), ec_key()
    recipients = [asymmetric.Recipient.from_certificate(self_signed(k))
                  for k in (ec_private, rsa_private, ec_private)]
    for info in (None, b""):  # 25.12, then 26.06 with an empty Info
        entries = [asymmetric.wrap(CONTENT.key, r, info) for r in recipients]
        _, read = parsed(asymmetric.pssh(CONTENT.kid, entries))
        assert [e.version for e in read] == [2, 1, 2]
        assert [e.info for e in read] == [info, None, info]
        assert asymmetric.unwrap(read[0], ec_private) == CONTENT.key
        assert asymmetric.unwrap(read[1], rsa_private) == CONTENT.key


def test_data_size_counts_the_bytes_after_it() -> None:
    recipient = asymmetric.Recipient.from_certificate(self_signed(ec_key()))
    box = asymmetric.pssh(CONTENT.kid, [asymmetric.wrap(CONTENT.key, recipient)])
    assert box[12:28] == bytes.fromhex("a4852bd080fc484eb9e178a74d49f5ce")
    assert int.from_bytes(box[28:32], "big") == 1
    assert int.from_bytes(box[48:52], "big") == len(box) - 52


def test_rotation_makes_a_new_key_each_interval_and_one_box_per_key() -> None:
    recipient = asymmetric.Recipient.from_certificate(self_signed(ec_key()))
    source = RotatingKey([recipient], rotation=10.0)
    first = source.key_at(100.0)
    assert source.key_at(109.9) == first
    assert source.pssh(first) == source.pssh(first)
    second = source.key_at(110.0)
    assert second != first and second.kid != first.kid
    assert source.key_at(119.9) is second  # the interval runs from 110
    third = source.key_at(135.0)
    assert third != second
    assert source.key_at(139.9) is third  # from 130, not 135: the cadence holds
    assert RotatingKey([recipient], rotation=None).key_at(1e9) is not None

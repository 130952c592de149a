#!/usr/bin/env python3
"""Raw-PDU initiators for upgrade.sh: what libiscsi cannot show.

  upgrade_raw.py split HOST PORT TARGET
      login with HeaderDigest and DataDigest CRC32C, three TEST UNIT READYs,
      then only the first 20 bytes of the next command's header; prints
      READY and waits for a line on stdin (the upgrade happens meanwhile),
      sends the rest: the answer must come with the next StatSN and good
      digests, a NOP-Out must be echoed, and the logout must be clean. The
      connection, its sequence numbers and the half-read header crossed over.
  upgrade_raw.py r2t HOST PORT TARGET
      login with InitialR2T=Yes, ImmediateData=No; a WRITE(10) of 4 KiB gets
      its R2T; prints READY and waits for a line on stdin (the upgrade starts
      quiescing meanwhile and must wait for this Data-Out), sends the data:
      good status, then a READ(10) of the block returns it and StatSN runs on.
  upgrade_raw.py stuck HOST PORT TARGET
      login, then a WRITE(10) whose immediate data stops halfway: the frontend
      never reaches a PDU boundary on this connection. Prints READY and waits
      for a line on stdin."""
import os, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iscsi_session_raw import INI, bhs, connect, keys_of, login_pdu, pad, recv_exact  # noqa

_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return struct.pack("<I", c ^ 0xFFFFFFFF)


def recv_pdu_dig(s):
    h = recv_exact(s, 48)
    assert h is not None, "connection closed"
    hd = recv_exact(s, 4)
    assert hd == crc32c(h), "bad header digest from the target"
    dl = int.from_bytes(h[5:8], "big")
    d = b""
    if dl:
        d = recv_exact(s, dl + (4 - dl % 4) % 4)
        dd = recv_exact(s, 4)
        assert dd == crc32c(d), "bad data digest from the target"
    return h, d[:dl]


def send_dig(s, h, data=b""):
    out = h + crc32c(h)
    if data:
        out += pad(data) + crc32c(pad(data))
    s.sendall(out)


def tur_hdr(itt, cmdsn, expstatsn):
    return bhs(0x01, 0x80, 0, itt=itt, rest=struct.pack(">III", 0, cmdsn, expstatsn) + bytes(16))


def answer(s, itt):
    """the response to itt (NOP-In pings answered on the way)"""
    while True:
        h, d = recv_pdu_dig(s)
        op = h[0] & 0x3F
        if op == 0x20 and struct.unpack(">I", h[16:20])[0] == 0xFFFFFFFF:
            r = bytearray(bhs(0x40, 0x80, 0, itt=0xFFFFFFFF))
            r[20:24] = h[20:24]
            send_dig(s, bytes(r))
            continue
        assert struct.unpack(">I", h[16:20])[0] == itt, "answer for another task"
        return h, d


def case_split(host, port, target):
    s = connect(host, port)
    keys = ["InitiatorName=" + INI + "-split", "TargetName=" + target,
            "HeaderDigest=CRC32C", "DataDigest=CRC32C"]
    s.sendall(login_pdu(keys, b"\x80\x55\x66\x77\x00\x01"))
    h = recv_exact(s, 48)
    dl = int.from_bytes(h[5:8], "big")
    d = recv_exact(s, dl + (4 - dl % 4) % 4)[:dl]
    assert h[36:38] == b"\0\0", "login failed"
    k = keys_of(d)
    assert k.get("HeaderDigest") == "CRC32C" and k.get("DataDigest") == "CRC32C", k
    tsih = h[14:16]
    cmdsn = struct.unpack(">I", h[28:32])[0]
    statsn = struct.unpack(">I", h[24:28])[0]
    itt = 0x10
    for _ in range(3):
        send_dig(s, tur_hdr(itt, cmdsn, statsn + 1))
        r, _ = answer(s, itt)
        sn = struct.unpack(">I", r[24:28])[0]
        assert sn == statsn + 1, "StatSN %u after %u" % (sn, statsn)
        statsn = sn
        itt += 1
        cmdsn += 1
    whole = tur_hdr(itt, cmdsn, statsn + 1)
    whole += crc32c(whole)
    s.sendall(whole[:20])
    print("READY tsih %d statsn %u" % (int.from_bytes(tsih, "big"), statsn), flush=True)
    sys.stdin.readline()
    s.sendall(whole[20:])
    r, _ = answer(s, itt)
    sn = struct.unpack(">I", r[24:28])[0]
    assert sn == statsn + 1, "StatSN across the upgrade: %u after %u" % (sn, statsn)
    statsn = sn
    itt += 1
    cmdsn += 1
    # NOP-Out with data: echoed back with a good data digest
    n = bytearray(bhs(0x40, 0x80, 5, itt=itt))  # NOP-Out, immediate
    n[20:24] = struct.pack(">I", 0xFFFFFFFF)
    n[24:28] = struct.pack(">I", cmdsn)
    n[28:32] = struct.pack(">I", statsn + 1)
    send_dig(s, bytes(n), b"hello")
    r, d = answer(s, itt)
    assert r[0] & 0x3F == 0x20 and d == b"hello", "NOP echo"
    statsn = struct.unpack(">I", r[24:28])[0]
    itt += 1
    lo = bytearray(bhs(0x06 | 0x40, 0x80, 0, itt=itt))
    lo[24:28] = struct.pack(">I", cmdsn)
    lo[28:32] = struct.pack(">I", statsn + 1)
    send_dig(s, bytes(lo))
    r, _ = answer(s, itt)
    assert r[0] & 0x3F == 0x26 and r[2] == 0, "logout response %r" % r[:4]
    print("split: ok (same connection, StatSN %u, digests good)" % struct.unpack(">I", r[24:28])[0])


def plain_pdu(s):
    h = recv_exact(s, 48)
    assert h is not None, "connection closed"
    dl = int.from_bytes(h[5:8], "big")
    d = recv_exact(s, dl + (4 - dl % 4) % 4)[:dl] if dl else b""
    return h, d


def case_r2t(host, port, target):
    s = connect(host, port)
    s.sendall(login_pdu(["InitiatorName=" + INI + "-r2t", "TargetName=" + target,
                         "InitialR2T=Yes", "ImmediateData=No"], b"\x80\x55\x66\x7a\x00\x01"))
    h, d = plain_pdu(s)
    assert h[36:38] == b"\0\0", "login failed"
    k = keys_of(d)
    assert k.get("InitialR2T") == "Yes" and k.get("ImmediateData") == "No", k
    cmdsn = struct.unpack(">I", h[28:32])[0]
    statsn = struct.unpack(">I", h[24:28])[0]
    lba = bytes([0, 0x01, 0xF0, 0])           # 62 MiB: outside the verified regions
    data = bytes((i * 7 + 3) & 0xFF for i in range(4096))
    for attempt in range(2):                  # a first UNIT ATTENTION is retried
        cdb = (bytes([0x2A, 0]) + lba + bytes([0, 0, 8, 0])).ljust(16, b"\0")
        s.sendall(bhs(0x01, 0x80 | 0x20, 0, itt=0x30 + attempt,
                      rest=struct.pack(">III", 4096, cmdsn, statsn + 1) + cdb))
        cmdsn += 1
        h, _ = plain_pdu(s)
        if h[0] & 0x3F == 0x21:               # answered without data: UA
            statsn = struct.unpack(">I", h[24:28])[0]
            continue
        assert h[0] & 0x3F == 0x31, "no R2T: opcode %#x" % h[0]
        break
    ttt = h[20:24]
    print("READY", flush=True)
    sys.stdin.readline()
    do = bytearray(bhs(0x05, 0x80, 4096, itt=0x30 + attempt))
    do[20:24] = ttt
    do[28:32] = struct.pack(">I", statsn + 1)
    s.sendall(bytes(do) + data)
    h, _ = plain_pdu(s)
    assert h[0] & 0x3F == 0x21 and h[2] == 0 and h[3] == 0, "WRITE status %r" % h[:4]
    sn = struct.unpack(">I", h[24:28])[0]
    assert sn == statsn + 1, "StatSN %u after %u" % (sn, statsn)
    statsn = sn
    cdb = (bytes([0x28, 0]) + lba + bytes([0, 0, 8, 0])).ljust(16, b"\0")
    s.sendall(bhs(0x01, 0x80 | 0x40, 0, itt=0x40,
                  rest=struct.pack(">III", 4096, cmdsn, statsn + 1) + cdb))
    got = b""
    while True:
        h, d = plain_pdu(s)
        if h[0] & 0x3F == 0x25:
            got += d
            if h[1] & 0x01:                   # status in the last Data-In
                break
            continue
        assert h[0] & 0x3F == 0x21 and h[3] == 0, "READ status %r" % h[:4]
        break
    assert got == data, "read back %d bytes, differ" % len(got)
    print("r2t: ok (the Data-Out owed at the quiesce was taken, data reads back)")


def case_stuck(host, port, target):
    s = connect(host, port)
    s.sendall(login_pdu(["InitiatorName=" + INI + "-stuck", "TargetName=" + target],
                        b"\x80\x55\x66\x78\x00\x01"))
    h = recv_exact(s, 48)
    dl = int.from_bytes(h[5:8], "big")
    recv_exact(s, dl + (4 - dl % 4) % 4)
    assert h[36:38] == b"\0\0", "login failed"
    cmdsn = struct.unpack(">I", h[28:32])[0]
    cdb = bytes([0x2A, 0, 0, 0x01, 0xE0, 0, 0, 0, 8, 0]).ljust(16, b"\0")  # LBA at 60 MiB
    w = bhs(0x01, 0x80 | 0x20, 4096, itt=0x77,
            rest=struct.pack(">III", 4096, cmdsn, 0) + cdb)
    s.sendall(w + bytes(512))
    print("READY", flush=True)
    sys.stdin.readline()


def main():
    globals()["case_" + sys.argv[1]](sys.argv[2], int(sys.argv[3]), sys.argv[4])


if __name__ == "__main__":
    main()

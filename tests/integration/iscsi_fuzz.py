#!/usr/bin/env python3
"""Hostile-initiator smoke test for mtgt-iscsi: random and mutated PDUs
before and after login, oversized lengths, bad AHS, Data-Out for unknown
tasks, SNACK, abrupt closes. Afterwards the target must still serve a normal
login. Usage: iscsi_fuzz.py HOST PORT TARGET [rounds] [seed]"""
import os, random, socket, struct, sys

HOST, PORT, TARGET = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 300
rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
INI = "iqn.2026-11.org.mtgt:fuzzer"

def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)

def bhs(op, flags, dlen=0, ahs=0, lun=0, itt=0, rest=b""):
    h = struct.pack(">BBH", op, flags, 0) + struct.pack(">B", ahs) + dlen.to_bytes(3, "big")
    h += struct.pack(">QI", lun, itt) + rest
    return h.ljust(48, b"\0")[:48]

def login_pdu(keys, csg=1, nsg=3, transit=True, isid=b"\x80\x01\x02\x03\x00\x00", tsih=0, cmdsn=1):
    data = b"".join(k.encode() + b"\0" for k in keys)
    flags = (0x80 if transit else 0) | (csg << 2) | nsg
    h = bytearray(bhs(0x43, flags, len(data), itt=1))
    h[8:14] = isid
    h[14:16] = struct.pack(">H", tsih)
    h[24:28] = struct.pack(">I", cmdsn)
    return bytes(h) + pad(data)

def recv_pdu(s):
    h = b""
    while len(h) < 48:
        c = s.recv(48 - len(h))
        if not c:
            return None, None
        h += c
    ahs = h[4] * 4
    dl = int.from_bytes(h[5:8], "big")
    need = ahs + dl + (4 - dl % 4) % 4
    d = b""
    while len(d) < need:
        c = s.recv(need - len(d))
        if not c:
            return h, None
        d += c
    return h, d[ahs:ahs + dl]

def connect():
    s = socket.create_connection((HOST, PORT), timeout=3)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def normal_login(s, isid=b"\x80\x01\x02\x03\x00\x00", tsih=0):
    s.sendall(login_pdu(["InitiatorName=" + INI, "TargetName=" + TARGET,
                         "SessionType=Normal", "ImmediateData=Yes",
                         "InitialR2T=No", "MaxRecvDataSegmentLength=8192"],
                        isid=isid, tsih=tsih))
    h, d = recv_pdu(s)
    return h

def check_alive(tag):
    s = connect()
    h = normal_login(s)
    assert h is not None and h[0] & 0x3f == 0x23, "no login response after " + tag
    assert h[36] == 0 and h[37] == 0, "login failed after %s: %02x%02x" % (tag, h[36], h[37])
    # TEST UNIT READY
    cdb = bytes(16)
    s.sendall(bhs(0x01, 0x80, 0, lun=0, itt=7, rest=struct.pack(">III", 0, 1, 0) + cdb[:16]).ljust(48, b"\0"))
    h, d = recv_pdu(s)
    assert h is not None and h[0] & 0x3f == 0x21 and h[3] == 0, "TUR failed after " + tag
    s.close()

def expect_login_status(keys, status, **kw):
    s = connect()
    s.sendall(login_pdu(keys, **kw))
    h, d = recv_pdu(s)
    got = (h[36] << 8 | h[37]) if h else None
    s.close()
    assert got == status, "login %r: status %r, want %04x" % (keys, got, status)

# ---- login failures with the right status ----
expect_login_status(["InitiatorName=" + INI, "TargetName=iqn.2026-11.org.mtgt:nope"], 0x0203)
expect_login_status(["InitiatorName=" + INI, "TargetName=iqn.2026-11.org.mtgt:hidden"], 0x0203)
expect_login_status(["TargetName=" + TARGET], 0x0207)
expect_login_status(["InitiatorName=" + INI], 0x0207)
expect_login_status(["InitiatorName=" + INI, "TargetName=" + TARGET], 0x020a, tsih=0x7777)
expect_login_status(["InitiatorName=" + INI, "TargetName=" + TARGET, "AuthMethod=CHAP"], 0x0201, csg=0, nsg=1)
expect_login_status(["InitiatorName=" + INI, "SessionType=Weird"], 0x0209)
expect_login_status(["InitiatorName=" + INI, "TargetName=" + TARGET, "MaxBurstLength=1", "MaxBurstLength=2"], 0x0200)

# ---- second connection to a live session is refused (MaxConnections=1) ----
s1 = connect()
h = normal_login(s1)
tsih = struct.unpack(">H", h[14:16])[0]
assert tsih != 0
expect_login_status(["InitiatorName=" + INI, "TargetName=" + TARGET], 0x0206, tsih=tsih)
# ---- session reinstatement: same ISID, TSIH 0 closes the old session ----
s2 = connect()
h = normal_login(s2)
assert h[36] == 0
s1.settimeout(3)
try:
    assert s1.recv(1) == b"", "old session not closed on reinstatement"
except ConnectionResetError:
    pass
s1.close()
s2.close()

# ---- login text continuation (C bit), then full feature checks ----
def login_cont():
    s = connect()
    keys = ["InitiatorName=" + INI, "TargetName=" + TARGET, "SessionType=Normal",
            "MaxRecvDataSegmentLength=8192"]
    data = b"".join(k.encode() + b"\0" for k in keys)
    cut = 20
    for part, last in ((data[:cut], False), (data[cut:], True)):
        flags = (0x80 | 0x04 | 0x03) if last else (0x40 | 0x04)
        h = bytearray(bhs(0x43, flags, len(part), itt=1))
        h[8:14] = b"\x80\x09\x09\x09\x00\x01"
        h[24:28] = struct.pack(">I", 1)
        s.sendall(bytes(h) + pad(part))
        r, d = recv_pdu(s)
        assert r is not None and r[0] & 0x3f == 0x23 and r[36] == 0, "continued login"
        if not last:
            assert r[1] & 0x80 == 0 and len(d) == 0, "answer to C-bit PDU must be empty"
        else:
            assert r[1] & 0x80 and struct.unpack(">H", r[14:16])[0] != 0, "final login"
    stat = struct.unpack(">I", r[24:28])[0]
    exp = struct.unpack(">I", r[28:32])[0]
    # NOP-Out ping with data is echoed, StatSN advances
    payload = b"hello-nop-data"
    h = bytearray(bhs(0x40, 0x80, len(payload), itt=0x1234))
    h[20:24] = b"\xff\xff\xff\xff"
    h[24:28] = struct.pack(">I", exp)
    h[28:32] = struct.pack(">I", stat + 1)
    s.sendall(bytes(h) + pad(payload))
    r, d = recv_pdu(s)
    assert r[0] & 0x3f == 0x20 and d == payload and struct.unpack(">I", r[16:20])[0] == 0x1234
    assert struct.unpack(">I", r[24:28])[0] == stat + 1, "NOP-In StatSN"
    # SendTargets in a normal session: only this session's target
    t = b"SendTargets=\0"
    h = bytearray(bhs(0x44, 0x80, len(t), itt=0x55))
    h[20:24] = b"\xff\xff\xff\xff"
    h[24:28] = struct.pack(">I", exp)
    s.sendall(bytes(h) + pad(t))
    r, d = recv_pdu(s)
    assert r[0] & 0x3f == 0x24 and r[1] & 0x80, "text response"
    assert d.split(b"\0")[0] == b"TargetName=" + TARGET.encode(), d
    assert b"TargetAddress=%s:%d,1" % (HOST.encode(), PORT) in d, d
    # SNACK is rejected at ERL 0
    s.sendall(bhs(0x10, 0x80, 0, itt=0xffffffff))
    r, d = recv_pdu(s)
    assert r[0] & 0x3f == 0x3f and r[2] == 0x04 and d[0] == 0x10, "SNACK reject"
    # Logout (close session) is answered, then the connection closes
    h = bytearray(bhs(0x46, 0x80, 0, itt=0x77))
    h[24:28] = struct.pack(">I", exp)
    s.sendall(bytes(h))
    r, d = recv_pdu(s)
    assert r[0] & 0x3f == 0x26 and r[2] == 0, "logout response"
    assert s.recv(1) == b"", "connection closed after logout"
    s.close()

login_cont()

# ---- CRC32C header and data digests ----
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

def recv_exact(s, n):
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c:
            return None
        d += c
    return d

def recv_pdu_dig(s):
    h = recv_exact(s, 48)
    hd = recv_exact(s, 4)
    assert h and hd == crc32c(h), "bad header digest from target"
    dl = int.from_bytes(h[5:8], "big")
    d = b""
    if dl:
        body = recv_exact(s, dl + (4 - dl % 4) % 4)
        dd = recv_exact(s, 4)
        assert dd == crc32c(body), "bad data digest from target"
        d = body[:dl]
    return h, d

def digests(corrupt=False):
    s = connect()
    s.sendall(login_pdu(["InitiatorName=" + INI, "TargetName=" + TARGET,
                         "HeaderDigest=CRC32C", "DataDigest=CRC32C,None",
                         "ImmediateData=Yes"], isid=b"\x80\x07\x07\x07\x00\x02"))
    h, d = recv_pdu(s)
    assert h[36] == 0 and b"HeaderDigest=CRC32C" in d and b"DataDigest=CRC32C" in d, d
    exp = struct.unpack(">I", h[28:32])[0]
    block = bytes((i * 7) & 0xFF for i in range(512))
    cdb = bytes([0x2A, 0, 0, 0, 0, 9, 0, 0, 1, 0]).ljust(16, b"\0")
    w = bytearray(bhs(0x01, 0xA0, 512, itt=0x21, rest=struct.pack(">III", 512, exp, 0) + cdb))
    data = block
    dd = crc32c(data)
    if corrupt:
        dd = bytes([dd[0] ^ 1]) + dd[1:]
    s.sendall(bytes(w) + crc32c(bytes(w)) + data + dd)
    if corrupt:
        s.settimeout(3)
        try:
            assert s.recv(100) == b"", "data digest error must close the connection"
        except ConnectionResetError:
            pass
        s.close()
        return
    h, d = recv_pdu_dig(s)
    assert h[0] & 0x3F == 0x21 and h[3] == 0, "write with digests"
    cdb = bytes([0x28, 0, 0, 0, 0, 9, 0, 0, 1, 0]).ljust(16, b"\0")
    r = bhs(0x01, 0xC0, 0, itt=0x22, rest=struct.pack(">III", 512, exp + 1, 0) + cdb)
    s.sendall(r + crc32c(r))
    h, d = recv_pdu_dig(s)
    assert h[0] & 0x3F == 0x25 and h[1] & 0x01 and d == block, "read with digests"
    s.close()

digests()
digests(corrupt=True)

# ---- lost Data-Out (RFC 7143 7.8/7.9 at ERL 0): the task fails with
# CHECK CONDITION, ABORTED COMMAND, PROTOCOL SERVICE CRC ERROR (47h/05h);
# the connection and the session go on ----
def lost_dataout():
    s = connect()
    s.sendall(login_pdu(["InitiatorName=" + INI, "TargetName=" + TARGET,
                         "HeaderDigest=None", "DataDigest=CRC32C",
                         "InitialR2T=No", "ImmediateData=No", "MaxRecvDataSegmentLength=8192"],
                        isid=b"\x80\x07\x07\x08\x00\x04"))
    h, d = recv_pdu(s)
    assert h[36] == 0 and b"DataDigest=CRC32C" in d, d
    sn = [struct.unpack(">I", h[28:32])[0]]
    def write(itt, sns, corrupt=None, solicited=False):
        """WRITE of len(sns) blocks, Data-Out k carrying DataSN sns[k]"""
        n = len(sns)
        cdb = bytes([0x2A, 0, 0, 0, 0, 20, 0, 0, n, 0]).ljust(16, b"\0")
        fl = 0xA0 if solicited else 0x20   # F only when nothing unsolicited follows
        s.sendall(bhs(0x01, fl, 0, itt=itt, rest=struct.pack(">III", n * 512, sn[0], 0) + cdb))
        sn[0] += 1
        ttt = 0xFFFFFFFF
        if solicited:
            h, _ = recv_pdu(s)
            assert h[0] & 0x3F == 0x31, "R2T expected, got %02x" % h[0]
            ttt = struct.unpack(">I", h[20:24])[0]
        for k in range(n):
            blk = bytes([k + 1]) * 512
            h = bytearray(bhs(0x05, 0x80 if k == n - 1 else 0, 512, itt=itt))
            h[20:24] = struct.pack(">I", ttt)
            h[36:40] = struct.pack(">I", sns[k])
            h[40:44] = struct.pack(">I", k * 512)
            dd = crc32c(blk)
            if corrupt == k:
                dd = bytes([dd[0] ^ 0x40]) + dd[1:]
            s.sendall(bytes(h) + blk + dd)
        rej = None
        while True:
            h = recv_exact(s, 48)
            dl = int.from_bytes(h[5:8], "big") if h else 0
            d = recv_exact(s, dl + (4 - dl % 4) % 4 + 4)[:dl] if dl else b""
            assert h is not None, "connection closed (itt %x)" % itt
            if h[0] & 0x3F == 0x3F:
                rej = h[2]
                continue
            assert h[0] & 0x3F == 0x21 and struct.unpack(">I", h[16:20])[0] == itt
            return h[3], d[2:] if d else b"", rej
    bad = lambda st, sense: st == 2 and sense[2] == 0x0B and sense[12:14] == b"\x47\x05"
    st, sense, rej = write(0x41, [0, 1])
    assert st == 0 and rej is None, "good unsolicited write"
    st, sense, rej = write(0x42, [0, 0])
    assert bad(st, sense) and rej is None, "DataSN 0,0: %r %r" % (st, sense)
    st, sense, rej = write(0x43, [27])
    assert bad(st, sense), "DataSN 27"
    st, sense, rej = write(0x44, [1, 0])
    assert bad(st, sense), "DataSN 1,0"
    st, sense, rej = write(0x45, [0, 5, 2], solicited=True)
    assert bad(st, sense), "solicited DataSN 0,5,2"
    st, sense, rej = write(0x46, [0, 1, 2], corrupt=1)
    assert bad(st, sense) and rej == 0x02, "data digest error: reject %r status %r" % (rej, st)
    st, sense, rej = write(0x47, [0, 1, 2], solicited=True)
    assert st == 0 and rej is None, "good solicited write after the errors"
    s.close()

lost_dataout()

# ---- several outstanding R2Ts, bursts of MaxBurstLength ----
def multi_r2t():
    s = connect()
    s.sendall(login_pdu(["InitiatorName=" + INI, "TargetName=" + TARGET,
                         "InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=65536",
                         "FirstBurstLength=65536", "MaxOutstandingR2T=4",
                         "MaxRecvDataSegmentLength=16384"],
                        isid=b"\x80\x05\x05\x05\x00\x03"))
    h, d = recv_pdu(s)
    assert h[36] == 0 and b"MaxOutstandingR2T=4" in d and b"MaxBurstLength=65536" in d, d
    exp = struct.unpack(">I", h[28:32])[0]
    size = 262144 + 4096
    data = bytes((i * 13 + 5) & 0xFF for i in range(size))
    nblk = size // 512
    cdb = bytes([0x2A, 0, 0, 0, 0x10, 0, 0, nblk >> 8, nblk & 0xFF, 0]).ljust(16, b"\0")
    s.sendall(bhs(0x01, 0xA0, 0, itt=0x31, rest=struct.pack(">III", size, exp, 0) + cdb))
    r2ts = []
    for _ in range(4):
        h, _ = recv_pdu(s)
        assert h[0] & 0x3F == 0x31, "expected R2T, got %02x" % h[0]
        r2ts.append(struct.unpack(">IIIII", h[20:24] + h[36:48] + b"\0" * 4)[:4])
    assert [r[1] for r in r2ts] == [0, 1, 2, 3], "R2TSN"
    assert [r[2] for r in r2ts] == [0, 65536, 131072, 196608], "offsets"
    assert all(r[3] == 65536 for r in r2ts), "burst lengths"
    def send_burst(ttt, off, ln):
        pos, sn = off, 0
        while pos < off + ln:
            n = min(8192, off + ln - pos)
            fl = 0x80 if pos + n == off + ln else 0
            h = bytearray(bhs(0x05, fl, n, itt=0x31))
            h[20:24] = struct.pack(">I", ttt)
            h[36:40] = struct.pack(">I", sn)
            h[40:44] = struct.pack(">I", pos)
            s.sendall(bytes(h) + pad(data[pos:pos + n]))
            pos += n
            sn += 1
    for ttt, sn, off, ln in r2ts:
        send_burst(ttt, off, ln)
    h, _ = recv_pdu(s)   # the fifth R2T for the last 4 KiB
    assert h[0] & 0x3F == 0x31 and struct.unpack(">I", h[40:44])[0] == 262144, "last R2T"
    assert struct.unpack(">I", h[36:40])[0] == 4 and struct.unpack(">I", h[44:48])[0] == 4096
    send_burst(struct.unpack(">I", h[20:24])[0], 262144, 4096)
    h, _ = recv_pdu(s)
    assert h[0] & 0x3F == 0x21 and h[3] == 0 and struct.unpack(">I", h[36:40])[0] == 5, "write status / ExpDataSN"
    # read it back: Data-In in 16 KiB segments (our MaxRecvDataSegmentLength), F per 64 KiB burst
    cdb = bytes([0x28, 0, 0, 0, 0x10, 0, 0, nblk >> 8, nblk & 0xFF, 0]).ljust(16, b"\0")
    s.sendall(bhs(0x01, 0xC0, 0, itt=0x32, rest=struct.pack(">III", size, exp + 1, 0) + cdb))
    got, sn = b"", 0
    while True:
        h, d = recv_pdu(s)
        assert h[0] & 0x3F == 0x25 and len(d) <= 16384
        assert struct.unpack(">I", h[36:40])[0] == sn and struct.unpack(">I", h[40:44])[0] == len(got)
        got += d
        sn += 1
        if len(got) % 65536 == 0 or len(got) == size:
            assert h[1] & 0x80, "F bit at the end of each burst"
        if h[1] & 0x01:
            break
    assert got == data, "read back"
    s.close()

multi_r2t()

# ---- random garbage and mutations ----
ops = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x1f, 0x3f, 0x20, 0x25]
for r in range(ROUNDS):
    try:
        s = connect()
        mode = rnd.randrange(4)
        if mode >= 1:
            isid = bytes([0x80, rnd.randrange(256), rnd.randrange(256), 0, 0, rnd.randrange(256)])
            normal_login(s, isid=isid)
        for _ in range(rnd.randrange(1, 8)):
            kind = rnd.randrange(6)
            if kind == 0:
                pdu = os.urandom(rnd.randrange(1, 200))
            else:
                op = rnd.choice(ops) | (0x40 if rnd.random() < 0.3 else 0)
                dlen = rnd.choice([0, 1, 3, 4, 100, 512, 8192, 8193, 262144, 0xffffff])
                ahs = rnd.choice([0, 0, 1, 4, 5, 255])
                h = bytearray(os.urandom(48))
                h[0] = op
                h[4] = ahs
                h[5:8] = dlen.to_bytes(3, "big")
                if kind == 2:
                    h[20:24] = b"\xff\xff\xff\xff"
                if kind == 3:  # SCSI command with a plausible window
                    h[24:28] = struct.pack(">I", 1 + rnd.randrange(3))
                body = os.urandom(min(ahs * 4 + dlen, 4096))
                pdu = bytes(h) + body
            s.sendall(pdu)
        if rnd.random() < 0.5:
            s.settimeout(0.05)
            try:
                while s.recv(65536):
                    pass
            except Exception:
                pass
        s.close()
    except (ConnectionError, socket.timeout, BrokenPipeError, OSError):
        pass
check_alive("fuzzing")
print("fuzz: OK (%d rounds)" % ROUNDS)

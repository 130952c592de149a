#!/usr/bin/env python3
"""CHAP on raw login PDUs against mtgt-iscsi: algorithm negotiation (SHA3-256,
SHA-256, MD5, the configured order, none acceptable), base64 and hex values,
mutual CHAP with our own check of the target's answer, reflection refused,
wrong secrets, the login status of each failure, no difference between a
hidden and a missing target, and (with --ratelimit) the failed-login limit.

usage: chap_raw.py HOST PORT TARGET USER SECRET MUSER MSECRET HIDDEN [--ratelimit BURST]
With --ratelimit only the limit is tested (a target whose auth_fail_burst is
BURST); without, the target must not limit within this run.
TARGET requires CHAP (with mutual credentials MUSER/MSECRET); HIDDEN exists
but refuses this initiator (ACL)."""
import base64, hashlib, os, socket, struct, sys, time

HOST, PORT, TARGET, USER, SECRET, MUSER, MSECRET, HIDDEN = sys.argv[1:9]
PORT = int(PORT)
RATELIMIT = int(sys.argv[10]) if len(sys.argv) > 10 and sys.argv[9] == "--ratelimit" else 0
INI = "iqn.2026-11.org.mtgt:chap-raw"
HASH = {5: hashlib.md5, 7: hashlib.sha256, 8: hashlib.sha3_256}
fails = 0


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def login_pdu(keys, csg, nsg, transit, isid=b"\x80\x11\x22\x33\x00\x00"):
    data = b"".join(k.encode() + b"\0" for k in keys)
    h = bytearray(48)
    h[0] = 0x43
    h[1] = (0x80 if transit else 0) | (csg << 2) | nsg
    h[5:8] = len(data).to_bytes(3, "big")
    h[8:14] = isid
    h[16:20] = struct.pack(">I", 1)
    h[24:28] = struct.pack(">I", 1)
    return bytes(h) + pad(data)


def recv_pdu(s):
    h = b""
    while len(h) < 48:
        c = s.recv(48 - len(h))
        if not c:
            return None, None
        h += c
    dl = int.from_bytes(h[5:8], "big")
    need = h[4] * 4 + dl + (4 - dl % 4) % 4
    d = b""
    while len(d) < need:
        c = s.recv(need - len(d))
        if not c:
            return h, None
        d += c
    return h, d[h[4] * 4:h[4] * 4 + dl]


def keys_of(d):
    out = {}
    for kv in (d or b"").split(b"\0"):
        if b"=" in kv:
            k, v = kv.split(b"=", 1)
            out[k.decode()] = v.decode()
    return out


class Login:
    def __init__(self, target=TARGET, session="Normal"):
        self.s = socket.create_connection((HOST, PORT), timeout=5)
        self.first = ["InitiatorName=" + INI, "SessionType=" + session]
        if target:
            self.first.append("TargetName=" + target)

    def send(self, keys, csg=0, nsg=1, transit=False):
        """Returns (status, answer keys, response flags)."""
        self.s.sendall(login_pdu(self.first + keys, csg, nsg, transit))
        self.first = []
        h, d = recv_pdu(self.s)
        assert h is not None, "no login response to %r" % keys
        assert h[0] & 0x3f == 0x23, "not a login response: %02x" % h[0]
        return (h[36] << 8 | h[37]), keys_of(d), h[1]

    def close(self):
        self.s.close()


def unhex(v):
    assert v.startswith("0x"), v
    return bytes.fromhex(v[2:])


def check(cond, what):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails += 1


def chap(alist, secret=SECRET, user=USER, mutual=False, reflect=False, b64=False,
         target=TARGET, session="Normal"):
    """A CHAP exchange; returns (status, alg, answers of the last step)."""
    lg = Login(target, session)
    st, k, fl = lg.send(["AuthMethod=CHAP,None"], transit=True)
    if st:
        lg.close()
        return st, None, k
    assert k.get("AuthMethod") == "CHAP", k
    assert not fl & 0x80, "target left the security stage before CHAP"
    st, k, fl = lg.send(["CHAP_A=" + alist])
    if st or k.get("CHAP_A") in (None, "Reject"):
        lg.close()
        return st, None, k
    alg, ident, chal = int(k["CHAP_A"]), int(k["CHAP_I"]), unhex(k["CHAP_C"])
    assert len(chal) >= HASH[alg]().digest_size, "challenge shorter than the digest"
    r = HASH[alg](bytes([ident]) + secret.encode() + chal).digest()
    rv = "0b" + base64.b64encode(r).decode() if b64 else "0x" + r.hex().upper()
    keys = ["CHAP_N=" + user, "CHAP_R=" + rv]
    if mutual or reflect:
        mychal = chal if reflect else os.urandom(32)
        keys += ["CHAP_I=77", "CHAP_C=0x" + mychal.hex()]
    st, k, fl = lg.send(keys, transit=True)
    if st == 0:
        assert fl & 0x80 and (fl & 3) == 1, "no transit to the operational stage"
        if mutual:
            want = HASH[alg](bytes([77]) + MSECRET.encode() + mychal).digest()
            check(k.get("CHAP_N") == MUSER and unhex(k.get("CHAP_R", "0x")) == want,
                  "mutual CHAP (%d): the target proves it knows the mutual secret" % alg)
        # operational stage to full feature phase: the login completes
        st2, k2, fl2 = lg.send(["MaxRecvDataSegmentLength=8192"], csg=1, nsg=3, transit=True)
        check(st2 == 0 and fl2 & 0x80 and (fl2 & 3) == 3,
              "alg %d: login reaches full feature phase" % alg)
    lg.close()
    return st, alg, k


def status_of(keys, target, csg=0, nsg=1):
    lg = Login(target)
    st, k, fl = lg.send(keys, csg=csg, nsg=nsg, transit=True)
    lg.close()
    return st, k


if RATELIMIT:
    # only the limit: a fresh target whose burst is RATELIMIT
    for i in range(RATELIMIT):
        st, _, _ = chap("5", secret="wrong-secret-%d" % i)
        assert st == 0x0201, st
    st, alg, _ = chap("5")
    check(st == 0x0201, "after %d failures the right secret is refused too (%r)" % (RATELIMIT, st))
    ok = False
    for _ in range(30):  # the first block lasts 1 s
        time.sleep(0.25)
        st, alg, _ = chap("5")
        if st == 0:
            ok = True
            break
    check(ok, "the address gets in again once the block is over")
    print("chap_raw: %s" % ("ALL OK" if fails == 0 else "%d FAILED" % fails))
    sys.exit(1 if fails else 0)

st, alg, _ = chap("5,7,8")
check(st == 0 and alg == 8, "CHAP_A=5,7,8: SHA3-256 chosen and accepted (%r %r)" % (st, alg))
st, alg, _ = chap("5,7", b64=True)
check(st == 0 and alg == 7, "CHAP_A=5,7: SHA-256, base64 CHAP_R accepted (%r %r)" % (st, alg))
st, alg, _ = chap("5")
check(st == 0 and alg == 5, "CHAP_A=5: MD5 (%r %r)" % (st, alg))
st, alg, _ = chap("7,5", mutual=True)
check(st == 0 and alg == 7, "mutual CHAP with SHA-256 (%r %r)" % (st, alg))
st, alg, k = chap("6,99")
check(st == 0x0201 and k.get("CHAP_A", "Reject") == "Reject",
      "no acceptable algorithm: CHAP_A=Reject, 0x0201 (%r)" % (st,))
st, alg, k = chap("8", reflect=True)
check(st == 0x0201 and "CHAP_R" not in k, "reflected challenge refused with 0x0201 (%r)" % (st,))
st, alg, k = chap("5", secret=SECRET + "x")
check(st == 0x0201, "wrong secret: 0x0201 (%r)" % (st,))
st, alg, k = chap("7", user=USER + "x")
check(st == 0x0201, "wrong user: 0x0201 (%r)" % (st,))

# CHAP required: no way around it
st, _ = status_of(["AuthMethod=None"], TARGET)
check(st == 0x0201, "AuthMethod=None on a CHAP target: 0x0201 (%r)" % (st,))
st, _ = status_of([], TARGET, csg=1, nsg=3)
check(st == 0x0201, "straight to the operational stage on a CHAP target: 0x0201 (%r)" % (st,))

# nothing tells a hidden target from a missing one
a = status_of(["AuthMethod=CHAP,None"], HIDDEN)
b = status_of(["AuthMethod=CHAP,None"], "iqn.2026-11.org.mtgt:no-such-target")
check(a == b and a[0] == 0x0203, "hidden target answers like a missing one: %r %r" % (a, b))
a = status_of(["AuthMethod=None"], HIDDEN, csg=1, nsg=3)
b = status_of(["AuthMethod=None"], "iqn.2026-11.org.mtgt:no-such-target", csg=1, nsg=3)
check(a == b and a[0] == 0x0203, "... also without CHAP: %r %r" % (a, b))

# hostile CHAP values: every one gets a login response (failure or not), never
# a hang or a crash, and the target still authenticates afterwards
import random
rnd = random.Random(7)
junk = ["", "0x", "0b", "0x" + "f" * 2049, "0b" + "A" * 1400, "0xg0", "0b====", "0b@@@@",
        "x" * 300, "0x" + "00" * 1024, "0b" + base64.b64encode(os.urandom(1024)).decode(),
        "-1", "256", "0x1ff", "99999999999999999999999", "5,", ",", "Reject", "None"]
answered = 0
for n in range(60):
    lg = Login()
    try:
        st, k, fl = lg.send(["AuthMethod=CHAP"])
        keys = []
        for key in rnd.sample(["CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R"], rnd.randint(1, 5)):
            keys.append(key + "=" + rnd.choice(junk + ["5", "7", "8", "0x" + os.urandom(16).hex()]))
        st, k, fl = lg.send(keys, transit=rnd.random() < 0.5)
        if st == 0 and "CHAP_C" in k:
            st, k, fl = lg.send(["CHAP_N=" + rnd.choice(junk + [USER]),
                                 "CHAP_R=" + rnd.choice(junk)], transit=True)
        answered += 1
    except (AssertionError, OSError) as e:
        check(False, "hostile CHAP values %r: %s" % (keys, e))
    lg.close()
check(answered == 60, "60 logins with hostile CHAP values all answered")
st, alg, _ = chap("8,7,5", mutual=True)
check(st == 0 and alg == 8, "CHAP still works after them (%r)" % (st,))

print("chap_raw: %s" % ("ALL OK" if fails == 0 else "%d FAILED" % fails))
sys.exit(1 if fails else 0)

#!/usr/bin/env python3
"""Session-level behaviours of mtgt-iscsi on raw PDUs (used by
iscsi-session.sh): NOP-In pings of dead initiators, the per-target session
limit, login redirection, portal groups in SendTargets and logins, the
Asynchronous Message that asks initiators to log out at shutdown.

Usage: iscsi_session_raw.py CASE HOST PORT TARGET [args...]"""
import socket, struct, sys, time

INI = "iqn.2026-11.org.mtgt:session-raw"


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def bhs(op, flags, dlen=0, itt=0, rest=b""):
    h = struct.pack(">BBHB", op, flags, 0, 0) + dlen.to_bytes(3, "big")
    h += struct.pack(">QI", 0, itt) + rest
    return h.ljust(48, b"\0")[:48]


def login_pdu(keys, isid, csg=1, nsg=3):
    data = b"".join(k.encode() + b"\0" for k in keys)
    h = bytearray(bhs(0x43, 0x80 | (csg << 2) | nsg, len(data), itt=1))
    h[8:14] = isid
    h[24:28] = struct.pack(">I", 1)
    return bytes(h) + pad(data)


def recv_exact(s, n):
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c:
            return None
        d += c
    return d


def recv_pdu(s):
    h = recv_exact(s, 48)
    if h is None:
        return None, None
    dl = int.from_bytes(h[5:8], "big")
    d = recv_exact(s, h[4] * 4 + dl + (4 - dl % 4) % 4) if dl or h[4] else b""
    return h, (d[h[4] * 4:h[4] * 4 + dl] if d is not None else None)


def connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, port))
    return s


def keys_of(d):
    return dict(kv.split("=", 1) for kv in d.decode().split("\0") if "=" in kv)


def login(host, port, target, isid=b"\x80\x11\x22\x33\x00\x01", session="Normal"):
    """returns (socket, status, keys, ExpCmdSN)"""
    s = connect(host, port)
    keys = ["InitiatorName=" + INI, "SessionType=" + session]
    if target:
        keys.append("TargetName=" + target)
    s.sendall(login_pdu(keys, isid))
    h, d = recv_pdu(s)
    assert h is not None and h[0] & 0x3F == 0x23, "no login response"
    return s, h[36] << 8 | h[37], keys_of(d or b""), struct.unpack(">I", h[28:32])[0]


def tur(s, itt, cmdsn):
    """TEST UNIT READY; a first CHECK CONDITION (the unit attention of a
    new nexus from a real core) is retried once"""
    st = tur1(s, itt, cmdsn)
    return tur1(s, itt + 0x100, cmdsn + 1) if st == 2 else st


def tur1(s, itt, cmdsn):
    s.sendall(bhs(0x01, 0x80, 0, itt=itt, rest=struct.pack(">III", 0, cmdsn, 0) + bytes(16)))
    while True:
        h, d = recv_pdu(s)
        assert h is not None, "connection closed"
        if h[0] & 0x3F == 0x21:
            return h[3]
        if h[0] & 0x3F == 0x20:      # NOP-In ping: answer it
            nop_answer(s, h)


def nop_answer(s, h):
    r = bytearray(bhs(0x40, 0x80, 0, itt=0xFFFFFFFF))
    r[20:24] = h[20:24]
    r[28:32] = struct.pack(">I", struct.unpack(">I", h[24:28])[0])
    s.sendall(bytes(r))


def closed_within(s, secs):
    """True if the target closes s within secs (everything it sends is read)"""
    s.settimeout(0.2)
    end = time.time() + secs
    while time.time() < end:
        try:
            if s.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except ConnectionError:
            return True
    return False


def case_nop(host, port, target, interval, timeout):
    import select
    interval, timeout = int(interval), int(timeout)
    # a live initiator answers every ping and keeps its session; a dead one
    # logs in, then never answers
    live, st, _, cmdsn = login(host, port, target, isid=b"\x80\x11\x22\x33\x00\x01")
    assert st == 0, "login %04x" % st
    dead, st, _, _ = login(host, port, target, isid=b"\x80\x11\x22\x33\x00\x02")
    assert st == 0
    t0 = time.time()
    ping = gone = None
    live_pings = 0
    end = t0 + interval * 1.5 + timeout * 1.5 + 3
    while time.time() < end and gone is None:
        r, _, _ = select.select([live, dead], [], [], 0.2)
        if live in r:
            h, _ = recv_pdu(live)
            assert h is not None, "live initiator dropped"
            assert h[0] & 0x3F == 0x20, "unexpected PDU %02x" % h[0]
            nop_answer(live, h)
            live_pings += 1
        if dead in r:
            h, _ = recv_pdu(dead)
            if h is None:
                gone = time.time() - t0
                break
            assert ping is None and h[0] & 0x3F == 0x20, "one NOP-In ping expected"
            assert struct.unpack(">I", h[16:20])[0] == 0xFFFFFFFF and h[20:24] != b"\xff" * 4, "ping ITT/TTT"
            ping = time.time() - t0
    assert ping is not None, "no NOP-In ping"
    assert interval * 0.7 <= ping <= interval * 1.5 + 1, "ping after %.1f s, interval %d" % (ping, interval)
    assert gone is not None, "dead initiator not dropped"
    assert gone - ping >= timeout * 0.7, "dropped %.1f s after the ping, timeout %d" % (gone - ping, timeout)
    # the live one keeps answering: still there after another timeout
    end = time.time() + timeout + 1
    while time.time() < end:
        r, _, _ = select.select([live], [], [], 0.2)
        if r:
            h, _ = recv_pdu(live)
            assert h is not None and h[0] & 0x3F == 0x20, "live initiator dropped"
            nop_answer(live, h)
            live_pings += 1
    assert live_pings >= 1, "the live initiator was never pinged"
    assert tur(live, 5, cmdsn) == 0, "live session after its pings"
    print("nop: ping after %.1f s, dead initiator dropped after %.1f s, live one answered %d pings"
          % (ping, gone, live_pings))


def case_nop_off(host, port, target, secs):
    import select
    s, st, _, cmdsn = login(host, port, target, isid=b"\x80\x11\x22\x33\x00\x03")
    assert st == 0
    r, _, _ = select.select([s], [], [], float(secs))
    assert not r, "a PDU arrived although pings are off"
    assert tur(s, 6, cmdsn) == 0
    print("nop off: nothing in %s s" % secs)


def case_max_sessions(host, port, target, limit, other=None):
    limit = int(limit)
    socks = []
    for i in range(limit):
        sk, st, _, _ = login(host, port, target, isid=b"\x80\x22\x22\x22\x00" + bytes([i + 1]))
        assert st == 0, "session %d refused: %04x" % (i + 1, st)
        socks.append(sk)
    sk, st, _, _ = login(host, port, target, isid=b"\x80\x22\x22\x22\x00\x77")
    assert st == 0x0302, "session %d: status %04x, want 0302 (out of resources)" % (limit + 1, st)
    assert closed_within(sk, 3)
    # reinstating one of them is not one more session
    sk, st, _, _ = login(host, port, target, isid=b"\x80\x22\x22\x22\x00\x01")
    assert st == 0, "reinstatement refused: %04x" % st
    assert closed_within(socks[0], 3), "reinstated session not closed"
    socks[0] = sk
    # other targets are not limited by this one
    if other:
        o, st, _, _ = login(host, port, other, isid=b"\x80\x22\x22\x22\x00\x78")
        assert st == 0, "other target: %04x" % st
        o.close()
    # a session that ends makes room
    socks.pop().close()
    time.sleep(0.3)
    sk, st, _, _ = login(host, port, target, isid=b"\x80\x22\x22\x22\x00\x79")
    assert st == 0, "login after a logout: %04x" % st
    print("max_sessions: %d accepted, the next refused with 0302" % limit)


def case_redirect(host, port, target, address, status):
    sk, st, keys, _ = login(host, port, target, isid=b"\x80\x33\x33\x33\x00\x01")
    assert st == int(status, 16), "status %04x, want %s" % (st, status)
    assert keys.get("TargetAddress") == address, "TargetAddress %r" % keys
    assert closed_within(sk, 3), "connection kept after a redirect"
    print("redirect: %04x to %s" % (st, address))


def sendtargets(host, port):
    s, st, _, cmdsn = login(host, port, None, isid=b"\x80\x44\x44\x44\x00\x01", session="Discovery")
    assert st == 0, "discovery login %04x" % st
    data = pad(b"SendTargets=All\0")
    s.sendall(bhs(0x04, 0x80, len(b"SendTargets=All\0"), itt=9,
                  rest=struct.pack(">III", 0xFFFFFFFF, cmdsn, 0)) + data)
    h, d = recv_pdu(s)
    assert h[0] & 0x3F == 0x24, "Text Response expected"
    s.close()
    out, cur = {}, None
    for kv in d.decode().split("\0"):
        if kv.startswith("TargetName="):
            cur = kv[11:]
            out[cur] = []
        elif kv.startswith("TargetAddress="):
            out[cur].append(kv[14:])
    return out


def case_portals(host, port, target, other, g2_addr, all_addrs):
    """target may be reached only through group 2 (g2_addr); other through
    every portal (all_addrs, comma-free list joined by ';')"""
    got = sendtargets(host, port)
    assert sorted(got.get(target, [])) == sorted(g2_addr.split(";")), \
        "SendTargets %s: %r" % (target, got.get(target))
    assert sorted(got.get(other, [])) == sorted(all_addrs.split(";")), \
        "SendTargets %s: %r" % (other, got.get(other))
    # not through group 1
    sk, st, _, _ = login(host, port, target, isid=b"\x80\x55\x55\x55\x00\x01")
    assert st == 0x0203, "login on a portal outside its groups: %04x" % st
    sk.close()
    # through group 2, with that group's tag
    a = g2_addr.split(";")[0].rsplit(",", 1)[0]
    h2, p2 = a.rsplit(":", 1)
    sk, st, keys, _ = login(h2.strip("[]"), int(p2), target, isid=b"\x80\x55\x55\x55\x00\x02")
    assert st == 0 and keys.get("TargetPortalGroupTag") == "2", "group 2 login: %04x %r" % (st, keys)
    sk.close()
    print("portals: %r" % got)


def case_shutdown(host, port, target, fake_pid, wait):
    """two sessions; CTL_SHUTDOWN (SIGUSR1 to the fake core) must ask both to
    log out (AsyncEvent 1, Parameter3 = wait); the one that logs out gets
    Time2Wait 2, the one that does not gets AsyncEvent 2 after ~wait s"""
    import os, signal
    wait = int(wait)
    good, st, _, cg = login(host, port, target, isid=b"\x80\x66\x66\x66\x00\x01")
    assert st == 0
    lazy, st, _, _ = login(host, port, target, isid=b"\x80\x66\x66\x66\x00\x02")
    assert st == 0
    t0 = time.time()
    os.kill(int(fake_pid), signal.SIGUSR1)
    for s in (good, lazy):
        h, _ = recv_pdu(s)
        assert h is not None and h[0] & 0x3F == 0x32, "Async Message expected, got %r" % (h and h[0])
        assert h[36] == 1 and struct.unpack(">H", h[42:44])[0] == wait, \
            "AsyncEvent %d Parameter3 %d" % (h[36], struct.unpack(">H", h[42:44])[0])
        assert struct.unpack(">I", h[16:20])[0] == 0xFFFFFFFF
    # the good initiator logs out (close the session)
    good.sendall(bhs(0x46, 0x80, 0, itt=0x51, rest=struct.pack(">III", 0, cg, 0)))
    h, _ = recv_pdu(good)
    assert h is not None and h[0] & 0x3F == 0x26 and h[2] == 0, "Logout Response"
    assert struct.unpack(">H", h[40:42])[0] == 2, "Time2Wait at shutdown"
    assert closed_within(good, 3)
    # the lazy one is dropped after the wait, told so first
    h, _ = recv_pdu(lazy)
    gone = time.time() - t0
    assert h is not None and h[0] & 0x3F == 0x32 and h[36] == 2, "AsyncEvent 2 expected"
    assert struct.unpack(">HHH", h[38:44])[1:] == (2, 0), "Time2Wait/Time2Retain %r" % (h[38:44],)
    assert wait * 0.8 <= gone <= wait + 3, "dropped after %.1f s, wait %d" % (gone, wait)
    assert closed_within(lazy, 3)
    print("shutdown: logout requested, lazy initiator dropped after %.1f s" % gone)


def case_digest_required(host, port, target):
    """require_header_digest: None is skipped in the initiator's list, and a
    login that would end without the digest fails"""
    for offer, want in (("None,CRC32C", 0), ("None", 0x0200), (None, 0x0200)):
        sk = connect(host, port)
        keys = ["InitiatorName=" + INI, "TargetName=" + target]
        if offer:
            keys.append("HeaderDigest=" + offer)
        sk.sendall(login_pdu(keys, b"\x80\x77\x77\x77\x00\x01"))
        h, d = recv_pdu(sk)
        st = h[36] << 8 | h[37]
        assert st == want, "HeaderDigest=%s: status %04x, want %04x" % (offer, st, want)
        if want == 0:
            assert keys_of(d).get("HeaderDigest") == "CRC32C", keys_of(d)
        sk.close()
    print("digest_required: ok")


def main():
    case = sys.argv[1]
    host, port, target = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    globals()["case_" + case](host, port, target, *sys.argv[5:])


if __name__ == "__main__":
    main()

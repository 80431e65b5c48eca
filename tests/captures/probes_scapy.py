"""The scapy part of `probes.py`: protocol messages built with scapy's layers.

Each case returns flows as (program, l4, port, [(from_client, bytes)], client port or None).
Field values are what a real implementation sends (ids, versions, flags, lengths computed by
scapy); anything random is drawn from a generator seeded with the case's name.
"""

import random
import struct
import sys

from scapy.all import raw

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def rng(name):
    return random.Random("probes-scapy " + name)


def C(p):
    return (True, raw(p) if not isinstance(p, bytes) else p)


def S(p):
    return (False, raw(p) if not isinstance(p, bytes) else p)


@case
def dns():
    from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRROPT
    r = rng("dns")
    flows = []
    for qtype in ("A", "AAAA", "MX", "TXT", "SRV", "PTR", "NS", "SOA", "HTTPS", "CAA"):
        msgs = []
        for i in range(3):
            qid = r.randrange(65536)
            name = f"host{i}.example.org"
            q = DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype),
                    ar=DNSRROPT(rclass=1232))
            a = DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                    an=DNSRR(rrname=name, type="A", ttl=300, rdata="192.0.2.%d" % (i + 1)),
                    ar=DNSRROPT(rclass=1232))
            msgs += [C(q), S(a)]
        flows.append((f"dns-{qtype}", "udp", 53, msgs, None))
    # No EDNS0, NXDOMAIN answers.
    msgs = []
    for i in range(4):
        qid = r.randrange(65536)
        q = DNS(id=qid, rd=1, qd=DNSQR(qname=f"nx{i}.example.com"))
        a = DNS(id=qid, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname=f"nx{i}.example.com"))
        msgs += [C(q), S(a)]
    flows.append(("dns-nxdomain", "udp", 53, msgs, None))
    # DNS over TCP: a length prefix.
    q = raw(DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.org", qtype="AXFR")))
    a = raw(DNS(id=0x1234, qr=1, aa=1, qd=DNSQR(qname="example.org", qtype="AXFR"),
                an=DNSRR(rrname="example.org", type="A", rdata="192.0.2.9")))
    flows.append(("dns-tcp-axfr", "tcp", 53,
                  [C(struct.pack(">H", len(q)) + q), S(struct.pack(">H", len(a)) + a)], None))
    return flows


@case
def mdns_llmnr():
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.llmnr import LLMNRQuery, LLMNRResponse
    q = DNS(id=0, qd=DNSQR(qname="_services._dns-sd._udp.local", qtype="PTR"))
    a = DNS(id=0, qr=1, aa=1, an=DNSRR(rrname="_services._dns-sd._udp.local", type="PTR",
                                       rdata="_http._tcp.local", ttl=4500))
    l_q = LLMNRQuery(id=0x4242, qd=DNSQR(qname="printer"))
    l_a = LLMNRResponse(id=0x4242, qd=DNSQR(qname="printer"),
                        an=DNSRR(rrname="printer", rdata="10.77.0.1"))
    return [("mdns", "udp", 5353, [C(q), S(a), C(q), S(a)], 5353),
            ("llmnr", "udp", 5355, [C(l_q), S(l_a)], None)]


@case
def ntp():
    from scapy.layers.ntp import NTPHeader, NTPControl, NTPPrivate
    msgs = []
    for i in range(5):
        t = 3973900800 + i * 64
        q = NTPHeader(leap=0, version=4, mode=3, stratum=0, poll=6, precision=-20,
                      orig=0, recv=0, sent=t + 0.25)
        a = NTPHeader(leap=0, version=4, mode=4, stratum=2, poll=6, precision=-23,
                      delay=0.01, dispersion=0.02, id="192.0.2.1", ref=t - 10,
                      orig=t + 0.25, recv=t + 0.26, sent=t + 0.261)
        msgs += [C(q), S(a)]
    ctl = NTPControl(op_code=2, sequence=1)
    return [("ntp-client-server", "udp", 123, msgs, None),
            ("ntp-symmetric", "udp", 123, msgs[:4], 123),
            ("ntp-control-readvar", "udp", 123, [C(ctl)], None),
            ("ntp-private-monlist", "udp", 123,
             [C(NTPPrivate(mode=7, implementation=3, request_code=42))], None)]


@case
def snmp():
    from scapy.layers.snmp import (SNMP, SNMPget, SNMPnext, SNMPresponse, SNMPtrapv2,
                                   SNMPvarbind)
    from scapy.asn1.asn1 import ASN1_OID, ASN1_STRING
    flows = []
    for version, name in ((0, "v1"), (1, "v2c")):
        msgs = []
        for i in range(3):
            oid = "1.3.6.1.2.1.1.%d.0" % (i + 1)
            q = SNMP(version=version, community="public",
                     PDU=SNMPget(id=1000 + i, varbindlist=[SNMPvarbind(oid=ASN1_OID(oid))]))
            a = SNMP(version=version, community="public",
                     PDU=SNMPresponse(id=1000 + i, varbindlist=[
                         SNMPvarbind(oid=ASN1_OID(oid), value=ASN1_STRING(b"Linux lab 6.1"))]))
            msgs += [C(q), S(a)]
        walk = SNMP(version=version, community="public",
                    PDU=SNMPnext(id=2000, varbindlist=[SNMPvarbind(oid=ASN1_OID("1.3.6.1"))]))
        flows.append((f"snmp-{name}", "udp", 161, msgs + [C(walk)], None))
    trap = SNMP(version=1, community="public", PDU=SNMPtrapv2(id=7, varbindlist=[
        SNMPvarbind(oid=ASN1_OID("1.3.6.1.2.1.1.3.0"), value=ASN1_STRING(b"up"))]))
    flows.append(("snmp-trap", "udp", 162, [C(trap), C(trap)], None))
    return flows


@case
def dhcp():
    from scapy.layers.dhcp import BOOTP, DHCP
    mac = bytes.fromhex("027700000002") + b"\0" * 10
    xid = 0x3903F326
    disc = BOOTP(chaddr=mac, xid=xid, flags=0x8000) / DHCP(options=[
        ("message-type", "discover"), ("param_req_list", [1, 3, 6, 15, 28, 51]), "end"])
    offer = BOOTP(op=2, chaddr=mac, xid=xid, yiaddr="10.77.0.50", siaddr="10.77.0.1") / DHCP(
        options=[("message-type", "offer"), ("server_id", "10.77.0.1"),
                 ("lease_time", 3600), ("subnet_mask", "255.255.255.0"),
                 ("router", "10.77.0.1"), "end"])
    req = BOOTP(chaddr=mac, xid=xid) / DHCP(options=[
        ("message-type", "request"), ("requested_addr", "10.77.0.50"),
        ("server_id", "10.77.0.1"), ("hostname", b"lab-host"), "end"])
    ack = BOOTP(op=2, chaddr=mac, xid=xid, yiaddr="10.77.0.50") / DHCP(options=[
        ("message-type", "ack"), ("server_id", "10.77.0.1"), ("lease_time", 3600), "end"])
    return [("dhcp-dora", "udp", 67, [C(disc), S(offer), C(req), S(ack)], 68)]


@case
def dhcp6():
    from scapy.layers.dhcp6 import (DHCP6_Advertise, DHCP6_Reply, DHCP6_Request,
                                    DHCP6_Solicit, DHCP6OptClientId, DHCP6OptElapsedTime,
                                    DHCP6OptIA_NA, DHCP6OptIAAddress, DHCP6OptServerId,
                                    DUID_LLT)
    cid = DHCP6OptClientId(duid=DUID_LLT(lladdr="02:77:00:00:00:02", timeval=700000000))
    sid = DHCP6OptServerId(duid=DUID_LLT(lladdr="02:77:00:00:00:01", timeval=700000001))
    ia = DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr="fd77::50", preflft=3600,
                                                           validlft=7200)])
    sol = DHCP6_Solicit(trid=0x12AB34) / DHCP6OptElapsedTime() / cid / DHCP6OptIA_NA(iaid=1)
    adv = DHCP6_Advertise(trid=0x12AB34) / cid / sid / ia
    req = DHCP6_Request(trid=0x5A5A01) / cid / sid / ia
    rep = DHCP6_Reply(trid=0x5A5A01) / cid / sid / ia
    return [("dhcpv6", "udp", 547, [C(sol), S(adv), C(req), S(rep)], 546)]


@case
def rip():
    from scapy.layers.rip import RIP, RIPEntry
    req = RIP(cmd=1, version=2) / RIPEntry(AF=0, metric=16)
    resp = RIP(cmd=2, version=2) / RIPEntry(addr="10.1.0.0", mask="255.255.0.0", metric=1) / \
        RIPEntry(addr="10.2.0.0", mask="255.255.0.0", metric=2)
    from scapy.contrib.ripng import RIPng, RIPngEntry
    ng = RIPng(cmd=2) / RIPngEntry(prefix_or_nh="2001:db8::", prefixlen=32, metric=1)
    return [("rip-v2", "udp", 520, [C(req), S(resp), S(resp)], 520),
            ("ripng", "udp", 521, [C(ng), S(ng)], 521)]


@case
def isakmp():
    from scapy.layers.isakmp import (ISAKMP, ISAKMP_payload_Proposal, ISAKMP_payload_SA,
                                     ISAKMP_payload_Transform)
    r = rng("isakmp")
    ck = bytes(r.randrange(256) for _ in range(8))
    sk = bytes(r.randrange(256) for _ in range(8))
    trans = ISAKMP_payload_Transform(transforms=[("Encryption", "AES-CBC"), ("KeyLength", 256),
                                                 ("Hash", "SHA2-256"), ("GroupDesc", "2048MODPgr"),
                                                 ("Authentication", "PSK"),
                                                 ("LifeType", "Seconds"), ("LifeDuration", 28800)])
    sa = ISAKMP_payload_SA(prop=ISAKMP_payload_Proposal(trans=trans))
    q = ISAKMP(init_cookie=ck, exch_type=2) / sa
    a = ISAKMP(init_cookie=ck, resp_cookie=sk, exch_type=2) / sa
    return [("isakmp-main-mode", "udp", 500, [C(q), S(a)], 500)]


@case
def ikev2():
    from scapy.contrib.ikev2 import (IKEv2, IKEv2_KE, IKEv2_Nonce, IKEv2_Proposal, IKEv2_SA,
                                     IKEv2_Transform)
    r = rng("ikev2")
    spi = bytes(r.randrange(256) for _ in range(8))
    rspi = bytes(r.randrange(256) for _ in range(8))
    prop = IKEv2_Proposal(proposal=1, proto=1, trans_nb=4, trans=(
        IKEv2_Transform(transform_type=1, transform_id=12, key_length=0x800E0100) /
        IKEv2_Transform(transform_type=3, transform_id=12) /
        IKEv2_Transform(transform_type=2, transform_id=5) /
        IKEv2_Transform(transform_type=4, transform_id=19)))
    ke = bytes(r.randrange(256) for _ in range(64))
    nonce = bytes(r.randrange(256) for _ in range(32))
    init = IKEv2(init_SPI=spi, exch_type=34, flags="Initiator") / IKEv2_SA(prop=prop) / \
        IKEv2_KE(group=19, ke=ke) / IKEv2_Nonce(nonce=nonce)
    resp = IKEv2(init_SPI=spi, resp_SPI=rspi, exch_type=34, flags="Response") / \
        IKEv2_SA(prop=prop) / IKEv2_KE(group=19, ke=ke[::-1]) / IKEv2_Nonce(nonce=nonce[::-1])
    natt = b"\0\0\0\0" + raw(init)
    return [("ikev2-sa-init", "udp", 500, [C(init), S(resp)], 500),
            ("ikev2-nat-t", "udp", 4500, [C(natt), S(b"\xff"), C(b"\xff")], 4500)]


@case
def l2tp():
    """scapy's L2TP header; the SCCRQ's AVPs written from RFC 2661 §4.4."""
    from scapy.layers.l2tp import L2TP
    # SCCRQ: control message with AVPs (message type 1, protocol version, host name, framing).
    avps = bytes.fromhex("8008000000000001" "8008000000020100" "8009000000076c6162"
                         "800a0000000300000003" "8008000000090001")
    q = L2TP(hdr="control+length+sequence", tunnel_id=0, session_id=0, ns=0, nr=0) / avps
    zlb = L2TP(hdr="control+length+sequence", tunnel_id=1, session_id=0, ns=0, nr=1)
    return [("l2tp-sccrq", "udp", 1701, [C(q), S(zlb)], 1701)]


@case
def radius():
    from scapy.layers.radius import Radius, RadiusAttribute
    r = rng("radius")
    auth = bytes(r.randrange(256) for _ in range(16))
    req = Radius(code=1, id=7, authenticator=auth, attributes=[
        RadiusAttribute(type=1, value=b"alice"), RadiusAttribute(type=2, value=bytes(16)),
        RadiusAttribute(type=4, value=bytes([10, 77, 0, 2])),
        RadiusAttribute(type=5, value=b"\0\0\0\x01")])
    acc = Radius(code=2, id=7, authenticator=auth[::-1])
    acct = Radius(code=4, id=8, authenticator=auth, attributes=[
        RadiusAttribute(type=40, value=b"\0\0\0\x01"), RadiusAttribute(type=44, value=b"5A3F")])
    return [("radius-auth", "udp", 1812, [C(req), S(acc)], None),
            ("radius-acct", "udp", 1813, [C(acct), S(Radius(code=5, id=8, authenticator=auth))],
             None)]


@case
def kerberos():
    from scapy.layers.kerberos import (KRB_AS_REQ, KRB_KDC_REQ_BODY, KRB_ERROR, Kerberos,
                                       PrincipalName)
    from scapy.asn1.asn1 import ASN1_GENERAL_STRING, ASN1_GENERALIZED_TIME
    body = KRB_KDC_REQ_BODY(
        kdcOptions="forwardable+renewable+canonicalize",
        cname=PrincipalName(nameString=[ASN1_GENERAL_STRING(b"alice")], nameType=1),
        realm=ASN1_GENERAL_STRING(b"EXAMPLE.ORG"),
        sname=PrincipalName(nameString=[ASN1_GENERAL_STRING(b"krbtgt"),
                                        ASN1_GENERAL_STRING(b"EXAMPLE.ORG")], nameType=2),
        till=ASN1_GENERALIZED_TIME("20370913024805Z"),
        rtime=ASN1_GENERALIZED_TIME("20370913024805Z"), nonce=0x1234567, etype=[18, 17, 23],
        addresses=None, additionalTickets=None)
    req = Kerberos(root=KRB_AS_REQ(padata=None, reqBody=body))
    err = Kerberos(root=KRB_ERROR(errorCode=25, realm=ASN1_GENERAL_STRING(b"EXAMPLE.ORG"),
                                  sname=PrincipalName(nameString=[
                                      ASN1_GENERAL_STRING(b"krbtgt"),
                                      ASN1_GENERAL_STRING(b"EXAMPLE.ORG")], nameType=2),
                                  stime=ASN1_GENERALIZED_TIME("20261205000000Z")))
    rq, er = raw(req), raw(err)
    return [("kerberos-as-req", "udp", 88, [C(rq), S(er), C(rq)], None),
            ("kerberos-tcp", "tcp", 88, [C(struct.pack(">I", len(rq)) + rq),
                                         S(struct.pack(">I", len(er)) + er)], None)]


@case
def ldap():
    from scapy.layers.ldap import (LDAP, LDAP_BindRequest, LDAP_BindResponse,
                                   LDAP_SearchRequest, CLDAP)
    from scapy.asn1.asn1 import ASN1_STRING
    bind = LDAP(protocolOp=LDAP_BindRequest(
        version=3, bind_name=ASN1_STRING(b"cn=admin,dc=example,dc=org")))
    bresp = LDAP(protocolOp=LDAP_BindResponse(resultCode=0))
    search = LDAP(messageID=2, protocolOp=LDAP_SearchRequest(
        baseObject=ASN1_STRING(b"dc=example,dc=org"), scope=2))
    cldap = CLDAP(protocolOp=LDAP_SearchRequest(baseObject=ASN1_STRING(b""), scope=0))
    return [("ldap", "tcp", 389, [C(bind), S(bresp), C(search)], None),
            ("cldap", "udp", 389, [C(cldap)], None)]


@case
def netbios_smb():
    from scapy.layers.netbios import NBNS_ADD_ENTRY, NBNSHeader, NBNSQueryRequest, \
        NBNSQueryResponse, NBTSession
    from scapy.layers.smb import SMB_Header, SMBNegotiate_Request, SMB_Dialect
    from scapy.layers.smb2 import SMB2_Header, SMB2_Negotiate_Protocol_Request
    q = NBNSHeader(NAME_TRN_ID=0x8001, NM_FLAGS="RD", QDCOUNT=1) / \
        NBNSQueryRequest(QUESTION_NAME="FILESRV")
    a = NBNSHeader(NAME_TRN_ID=0x8001, RESPONSE=1, NM_FLAGS="AA+RD", ANCOUNT=1) / \
        NBNSQueryResponse(RR_NAME="FILESRV", ADDR_ENTRY=[NBNS_ADD_ENTRY(NB_ADDRESS="10.77.0.1")])
    smb1 = NBTSession() / SMB_Header(Command=0x72) / SMBNegotiate_Request(Dialects=[
        SMB_Dialect(DialectString=b"NT LM 0.12"), SMB_Dialect(DialectString=b"SMB 2.002"),
        SMB_Dialect(DialectString=b"SMB 2.???")])
    smb2 = NBTSession() / SMB2_Header(Command=0, MID=0) / SMB2_Negotiate_Protocol_Request(
        Dialects=[0x0202, 0x0210, 0x0300, 0x0302, 0x0311], SecurityMode=1,
        ClientGUID=b"0123456789abcdef")
    return [("nbns", "udp", 137, [C(q), S(a)], 137),
            ("smb1-negotiate", "tcp", 445, [C(smb1)], None),
            ("smb2-negotiate", "tcp", 445, [C(smb2)], None),
            ("smb-over-nbt", "tcp", 139, [C(smb2)], None)]


@case
def tftp():
    from scapy.layers.tftp import TFTP, TFTP_ACK, TFTP_DATA, TFTP_RRQ
    r = rng("tftp")
    data = bytes(r.randrange(256) for _ in range(512 * 4 + 100))
    msgs = [C(TFTP() / TFTP_RRQ(filename=b"pxelinux.0", mode=b"octet"))]
    for block in range(5):
        msgs.append(S(TFTP() / TFTP_DATA(block=block + 1) / data[block * 512:(block + 1) * 512]))
        msgs.append(C(TFTP() / TFTP_ACK(block=block + 1)))
    return [("tftp-rrq", "udp", 69, msgs, None)]


@case
def sip():
    """Written from the specification: SIP (RFC 3261) INVITE with SDP, 200 OK, OPTIONS."""
    def msg(lines, body=b""):
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    sdp = (b"v=0\r\no=alice 2890844526 2890844526 IN IP4 10.77.0.2\r\ns=-\r\n"
           b"c=IN IP4 10.77.0.2\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\n"
           b"a=rtpmap:0 PCMU/8000\r\n")
    inv = msg(["INVITE sip:bob@example.org SIP/2.0",
               "Via: SIP/2.0/UDP 10.77.0.2:5060;branch=z9hG4bK776asdhds",
               "Max-Forwards: 70", "To: Bob <sip:bob@example.org>",
               "From: Alice <sip:alice@example.org>;tag=1928301774",
               "Call-ID: a84b4c76e66710@10.77.0.2", "CSeq: 314159 INVITE",
               "Contact: <sip:alice@10.77.0.2>", "Content-Type: application/sdp",
               f"Content-Length: {len(sdp)}"], sdp)
    ok = msg(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP 10.77.0.2:5060;branch=z9hG4bK776asdhds",
              "To: Bob <sip:bob@example.org>;tag=a6c85cf",
              "From: Alice <sip:alice@example.org>;tag=1928301774",
              "Call-ID: a84b4c76e66710@10.77.0.2", "CSeq: 314159 INVITE",
              "Content-Length: 0"])
    opts = msg(["OPTIONS sip:10.77.0.1 SIP/2.0", "Via: SIP/2.0/UDP 10.77.0.2:5060;branch=z9hG4bKx",
                "From: <sip:ping@10.77.0.2>;tag=1", "To: <sip:10.77.0.1>",
                "Call-ID: 1@10.77.0.2", "CSeq: 1 OPTIONS", "Content-Length: 0"])
    return [("sip-invite", "udp", 5060, [C(inv), S(ok)], 5060),
            ("sip-options", "udp", 5060, [C(opts), C(opts)], None),
            ("sip-tcp", "tcp", 5060, [C(inv), S(ok)], None)]


@case
def mqtt():
    from scapy.contrib.mqtt import (MQTT, MQTTConnack, MQTTConnect, MQTTPublish, MQTTSubscribe,
                                    MQTTTopicQOS, MQTTSuback)
    conn = MQTT() / MQTTConnect(protoname=b"MQTT", protolevel=4, cleansess=1, klive=60,
                                clientId=b"sensor-17")
    ack = MQTT(type=2) / MQTTConnack(retcode=0)
    sub = MQTT(type=8, QOS=1) / MQTTSubscribe(msgid=1, topics=[MQTTTopicQOS(topic=b"lab/#", QOS=0)])
    suback = MQTT(type=9) / MQTTSuback(msgid=1, retcodes=[0])
    msgs = [C(conn), S(ack), C(sub), S(suback)]
    for i in range(5):
        msgs.append(C(MQTT(type=3) / MQTTPublish(topic=b"lab/temp", value=b"21.%d" % i)))
        msgs.append(S(MQTT(type=3) / MQTTPublish(topic=b"lab/temp", value=b"21.%d" % i)))
    msgs += [C(MQTT(type=12)), S(MQTT(type=13))]
    return [("mqtt", "tcp", 1883, msgs, None)]


@case
def mqttsn():
    from scapy.contrib.mqttsn import MQTTSN, MQTTSNConnect, MQTTSNConnack
    return [("mqtt-sn", "udp", 1883, [C(MQTTSN() / MQTTSNConnect(client_id=b"node1")),
                                      S(MQTTSN() / MQTTSNConnack())], None)]


@case
def coap():
    from scapy.contrib.coap import CoAP
    msgs = []
    for i in range(4):
        q = CoAP(type=0, code=1, msg_id=0x7D34 + i, token=b"\x71\x2e\x1f" + bytes([i]),
                 options=[("Uri-Path", b"sensors"), ("Uri-Path", b"temp")])
        a = CoAP(type=2, code=69, msg_id=0x7D34 + i, token=b"\x71\x2e\x1f" + bytes([i]),
                 options=[("Content-Format", b"\x00")], paymark=b"\xff") / b"22.5 C"
        msgs += [C(q), S(a)]
    return [("coap", "udp", 5683, msgs, None)]


@case
def rtp_rtcp():
    from scapy.layers.rtp import RTP
    from scapy.contrib.rtcp import RTCP
    r = rng("rtp")
    flows = []
    for pt, size, name in ((0, 160, "pcmu"), (8, 160, "pcma"), (96, 900, "h264"),
                           (111, 80, "opus")):
        msgs = []
        ssrc_a, ssrc_b = r.randrange(2**32), r.randrange(2**32)
        seq_a, seq_b = r.randrange(65536), r.randrange(65536)
        ts_a, ts_b = r.randrange(2**32), r.randrange(2**32)
        for i in range(10):
            pa = bytes(r.randrange(256) for _ in range(size))
            pb = bytes(r.randrange(256) for _ in range(size))
            msgs.append(C(RTP(version=2, payload_type=pt, marker=int(i == 0),
                              sequence=(seq_a + i) & 0xFFFF,
                              timestamp=(ts_a + 160 * i) & 0xFFFFFFFF, sourcesync=ssrc_a) / pa))
            msgs.append(S(RTP(version=2, payload_type=pt, sequence=(seq_b + i) & 0xFFFF,
                              timestamp=(ts_b + 160 * i) & 0xFFFFFFFF, sourcesync=ssrc_b) / pb))
        flows.append((f"rtp-{name}", "udp", 16384 + 2 * len(flows), msgs, 40000 + 2 * len(flows)))
    from scapy.contrib.rtcp import SenderInfo
    sr = RTCP(packet_type=200, sourcesync=0x1234ABCD, sender_info=SenderInfo(
        ntp_timestamp=3973900800 << 32, rtp_timestamp=160000, sender_packet_count=1000,
        sender_octet_count=160000))
    rr = RTCP(packet_type=201, sourcesync=0x5678EF01)
    flows.append(("rtcp", "udp", 16385, [C(sr), S(rr), C(sr), S(rr)], 40001))
    return flows


@case
def openflow():
    from scapy.contrib.openflow import OFPTHello, OFPTFeaturesRequest, OFPTEchoRequest, \
        OFPTEchoReply
    from scapy.contrib.openflow3 import OFPTHello as OF13Hello
    return [("openflow-1.0", "tcp", 6653, [C(OFPTHello(xid=1)), S(OFPTHello(xid=1)),
                                           S(OFPTFeaturesRequest(xid=2)),
                                           S(OFPTEchoRequest(xid=3)), C(OFPTEchoReply(xid=3))],
             None),
            ("openflow-1.3", "tcp", 6653, [C(OF13Hello(xid=7)), S(OF13Hello(xid=7))], None)]


@case
def bgp():
    from scapy.contrib.bgp import (BGPHeader, BGPOpen, BGPUpdate, BGPNLRI_IPv4,
                                   BGPPathAttr, BGPPAOrigin, BGPPAASPath, BGPPANextHop)
    op = BGPHeader(type=1) / BGPOpen(my_as=64512, hold_time=90, bgp_id="10.77.0.2")
    op2 = BGPHeader(type=1) / BGPOpen(my_as=64513, hold_time=90, bgp_id="10.77.0.1")
    ka = BGPHeader(type=4)
    upd = BGPHeader(type=2) / BGPUpdate(
        path_attr=[BGPPathAttr(type_flags=0x40, type_code=1, attribute=BGPPAOrigin(origin=0)),
                   BGPPathAttr(type_flags=0x40, type_code=2, attribute=BGPPAASPath(segments=[])),
                   BGPPathAttr(type_flags=0x40, type_code=3,
                               attribute=BGPPANextHop(next_hop="10.77.0.2"))],
        nlri=[BGPNLRI_IPv4(prefix="192.0.2.0/24")])
    return [("bgp", "tcp", 179, [C(op), S(op2), C(ka), S(ka), C(upd), S(ka), C(ka)], None)]


@case
def http2():
    from scapy.contrib.http2 import H2Frame, H2SettingsFrame, H2Setting, \
        H2HeadersFrame, HPackIndexedHdr, H2DataFrame, H2WindowUpdateFrame
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = H2Frame() / H2SettingsFrame(settings=[H2Setting(id=3, value=100),
                                                     H2Setting(id=4, value=65535)])
    ack = H2Frame(flags={"A"}) / H2SettingsFrame()
    hdr = H2Frame(stream_id=1, flags={"EH", "ES"}) / H2HeadersFrame(hdrs=[
        HPackIndexedHdr(index=2), HPackIndexedHdr(index=7), HPackIndexedHdr(index=4)])
    rsp = H2Frame(stream_id=1, flags={"EH"}) / H2HeadersFrame(hdrs=[HPackIndexedHdr(index=8)])
    data = H2Frame(stream_id=1, flags={"ES"}) / H2DataFrame(data=b"<html>hello</html>" * 20)
    wu = H2Frame() / H2WindowUpdateFrame(win_size_incr=1 << 20)
    return [("http2-cleartext", "tcp", 80,
             [C(preface + raw(settings) + raw(wu) + raw(hdr)), S(raw(settings) + raw(ack)),
              C(ack), S(raw(rsp) + raw(data))], None)]


@case
def tls():
    from scapy.layers.tls.handshake import TLSClientHello, TLSServerHello
    from scapy.layers.tls.record import TLS
    from scapy.layers.tls.extensions import TLS_Ext_ServerName, ServerName, \
        TLS_Ext_SupportedGroups, TLS_Ext_SupportedVersion_CH, TLS_Ext_SupportedVersion_SH
    r = rng("tls")
    ch = TLS(msg=[TLSClientHello(gmt_unix_time=0x6571A2B3,
                                 random_bytes=bytes(r.randrange(256) for _ in range(28)),
                                 sid=bytes(r.randrange(256) for _ in range(32)),
                                 ciphers=[0x1301, 0x1302, 0x1303, 0xC02F, 0xC030],
                                 ext=[TLS_Ext_ServerName(
                                     servernames=[ServerName(servername=b"example.org")]),
                                      TLS_Ext_SupportedGroups(groups=[29, 23]),
                                      TLS_Ext_SupportedVersion_CH(versions=[0x0304, 0x0303])])])
    sh = TLS(msg=[TLSServerHello(gmt_unix_time=0x6571A2B4,
                                 random_bytes=bytes(r.randrange(256) for _ in range(28)),
                                 cipher=0x1301, ext=[TLS_Ext_SupportedVersion_SH(version=0x0304)])])
    appdata = bytes([0x17, 3, 3]) + struct.pack(">H", 300) + \
        bytes(r.randrange(256) for _ in range(300))
    ccs = b"\x14\x03\x03\x00\x01\x01"
    return [("tls-1.3", "tcp", 443,
             [C(ch), S(raw(sh) + ccs + appdata), C(ccs + appdata), S(appdata), C(appdata)], None),
            ("tls-1.3-alt-port", "tcp", 8443, [C(ch), S(raw(sh) + appdata)], None)]


@case
def quic():
    """Written from the specification: QUIC (RFC 9000, 9369) Initial packets with their long
    headers, then short-header packets; the protected payloads are seeded random bytes, as
    encryption makes them."""
    r = rng("quic")
    flows = []
    for version, name in ((0x00000001, "v1"), (0x6B3343CF, "v2"), (0xFF00001D, "draft29")):
        dcid = bytes(r.randrange(256) for _ in range(8))
        scid = bytes(r.randrange(256) for _ in range(8))
        # Long header Initial: flags, version, DCID, SCID, token length 0, length, PN + payload
        # (encrypted: random bytes), padded to 1200 bytes as RFC 9000 §14.1 requires.
        body_len = 1200 - (1 + 4 + 1 + 8 + 1 + 8 + 1 + 2)
        init = bytes([0xC3]) + struct.pack(">I", version) + bytes([8]) + dcid + bytes([8]) + \
            scid + b"\0" + struct.pack(">H", 0x4000 | body_len) + \
            bytes(r.randrange(256) for _ in range(body_len))
        resp = bytes([0xC1]) + struct.pack(">I", version) + bytes([8]) + scid + bytes([8]) + \
            dcid + b"\0" + struct.pack(">H", 0x4000 | 117) + \
            bytes(r.randrange(256) for _ in range(117))
        msgs = [C(init), S(resp)]
        for i in range(6):
            short = bytes([0x40 | (r.randrange(4))]) + scid + \
                bytes(r.randrange(256) for _ in range(40 + r.randrange(1000)))
            msgs.append(C(short) if i % 2 else S(short))
        flows.append((f"quic-{name}", "udp", 443, msgs, None))
    return flows


@case
def pfcp():
    from scapy.contrib.pfcp import PFCP, PFCPHeartbeatRequest, PFCPHeartbeatResponse, \
        IE_RecoveryTimeStamp, PFCPAssociationSetupRequest, IE_NodeId
    hb = PFCP(version=1, S=0, seq=1) / PFCPHeartbeatRequest(
        IE_list=[IE_RecoveryTimeStamp(timestamp=3973900800)])
    hbr = PFCP(version=1, S=0, seq=1) / PFCPHeartbeatResponse(
        IE_list=[IE_RecoveryTimeStamp(timestamp=3973900700)])
    asr = PFCP(version=1, S=0, seq=2) / PFCPAssociationSetupRequest(IE_list=[
        IE_NodeId(id_type=0, ipv4="10.77.0.2"), IE_RecoveryTimeStamp(timestamp=3973900800)])
    return [("pfcp", "udp", 8805, [C(asr), C(hb), S(hbr)], 8805)]


@case
def gtp():
    from scapy.contrib.gtp import GTPHeader, GTPEchoRequest, GTPEchoResponse, IE_Recovery
    from scapy.contrib.gtp_v2 import GTPHeader as GTPv2Header, GTPV2EchoRequest, \
        GTPV2EchoResponse, IE_RecoveryRestart
    e1 = GTPHeader(seq=1, S=1) / GTPEchoRequest()
    e1r = GTPHeader(seq=1, S=1) / GTPEchoResponse(IE_list=[IE_Recovery(restart_counter=3)])
    e2 = GTPv2Header(seq=5) / GTPV2EchoRequest(IE_list=[IE_RecoveryRestart(restart_counter=1)])
    e2r = GTPv2Header(seq=5) / GTPV2EchoResponse(IE_list=[IE_RecoveryRestart(restart_counter=2)])
    return [("gtpv1-c-echo", "udp", 2123, [C(e1), S(e1r), C(e1), S(e1r)], 2123),
            ("gtpv2-c-echo", "udp", 2123, [C(e2), S(e2r)], 2124)]


@case
def diameter():
    from scapy.contrib.diameter import AVP, DiamAns, DiamReq

    def cer_avps(host):
        return [AVP("Origin-Host", val=host), AVP("Origin-Realm", val=b"example.org"),
                AVP("Host-IP-Address", val="10.77.0.2"), AVP("Vendor-Id", val=0),
                AVP("Product-Name", val=b"lab")]
    cer = DiamReq("CER", drHbHId=0x1234, drEtEId=0x5678, avpList=cer_avps(b"client.example.org"))
    cea = DiamAns("CEA", drHbHId=0x1234, drEtEId=0x5678,
                  avpList=[AVP("Result-Code", val=2001)] + cer_avps(b"server.example.org"))
    dwr = DiamReq("DWR", drHbHId=0x1235, drEtEId=0x5679,
                  avpList=[AVP("Origin-Host", val=b"client.example.org"),
                           AVP("Origin-Realm", val=b"example.org")])
    return [("diameter", "tcp", 3868, [C(cer), S(cea), C(dwr)], None)]


@case
def modbus():
    from scapy.contrib.modbus import ModbusADURequest, ModbusADUResponse, \
        ModbusPDU03ReadHoldingRegistersRequest, ModbusPDU03ReadHoldingRegistersResponse
    msgs = []
    for i in range(5):
        msgs.append(C(ModbusADURequest(transId=i + 1, unitId=1) /
                      ModbusPDU03ReadHoldingRegistersRequest(startAddr=i * 10, quantity=10)))
        msgs.append(S(ModbusADUResponse(transId=i + 1, unitId=1) /
                      ModbusPDU03ReadHoldingRegistersResponse(registerVal=list(range(10)))))
    return [("modbus-tcp", "tcp", 502, msgs, None)]


@case
def enip():
    from scapy.contrib.enipTCP import ENIPTCP, ENIPRegisterSession
    li = ENIPTCP(commandId=0x63)
    reg = ENIPTCP(commandId=0x65) / ENIPRegisterSession(protocolVersion=1)
    regr = ENIPTCP(commandId=0x65, session=0x12345678) / ENIPRegisterSession(protocolVersion=1)
    return [("enip-tcp", "tcp", 44818, [C(reg), S(regr), C(li)], None),
            ("enip-udp-list-identity", "udp", 44818, [C(li)], None)]


@case
def iec104():
    from scapy.contrib.scada.iec104 import IEC104_U_Message, IEC104_S_Message
    startdt = IEC104_U_Message(startdt_act=1)
    startcon = IEC104_U_Message(startdt_con=1)
    test = IEC104_U_Message(testfr_act=1)
    testcon = IEC104_U_Message(testfr_con=1)
    return [("iec-60870-5-104", "tcp", 2404, [C(startdt), S(startcon), C(test), S(testcon),
                                              C(IEC104_S_Message(rx_seq_num=1))], None)]


@case
def automotive():
    from scapy.contrib.automotive.someip import SOMEIP
    from scapy.contrib.automotive.doip import DoIP
    from scapy.contrib.automotive.someip import SD, SDEntry_Service, SDOption_IP4_EndPoint
    sd = SOMEIP(srv_id=0xFFFF, sub_id=0x8100, msg_type=2, iface_ver=1, proto_ver=1) / SD(
        flags=0xC0, entry_array=[SDEntry_Service(type=0x01, srv_id=0x1234, inst_id=1,
                                                 major_ver=1, ttl=3, minor_ver=0, index_1=0,
                                                 n_opt_1=1)],
        option_array=[SDOption_IP4_EndPoint(addr="10.77.0.1", l4_proto=0x11, port=30501)])
    req = SOMEIP(srv_id=0x1234, sub_id=0x0421, client_id=1, session_id=1, msg_type=0) / b"ping"
    resp = SOMEIP(srv_id=0x1234, sub_id=0x0421, client_id=1, session_id=1, msg_type=0x80) / b"pong"
    va = DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)
    var = DoIP(payload_type=0x0006, logical_address_tester=0x0E80,
               logical_address_doip_entity=0x1000, routing_activation_response=0x10)
    return [("someip-sd", "udp", 30490, [C(sd), S(sd)], 30490),
            ("someip-rpc", "udp", 30501, [C(req), S(resp), C(req), S(resp)], None),
            ("doip", "tcp", 13400, [C(va), S(var)], None)]


@case
def stun():
    from scapy.contrib.stun import STUN
    r = rng("stun")
    tid = r.randrange(2**96)
    return [("stun-binding", "udp", 3478,
             [C(STUN(stun_message_type="Binding request", transaction_id=tid)),
              S(STUN(stun_message_type="Binding success response", transaction_id=tid))], None)]


@case
def netflow():
    from scapy.layers.netflow import NetflowHeader, NetflowHeaderV5, NetflowRecordV5
    recs = [NetflowRecordV5(src="10.0.0.%d" % i, dst="10.0.1.%d" % i, dpkts=10, dOctets=1500,
                            srcport=1024 + i, dstport=80, prot=6) for i in range(5)]
    pkt = NetflowHeader(version=5) / NetflowHeaderV5(count=5, unixSecs=1796428800, flowSequence=1)
    for rec in recs:
        pkt = pkt / rec
    return [("netflow-v5", "udp", 2055, [C(pkt), C(pkt)], None)]


@case
def syslog_misc():
    """Written from the specifications: syslog (RFC 5424 and BSD), an SSDP M-SEARCH."""
    logs = [C(b"<34>1 2026-12-05T00:00:00.003Z lab.example.org su - ID47 - 'su root' failed"),
            C(b"<13>Dec  5 00:00:01 lab sshd[123]: Accepted publickey for alice")]
    ssdp = C(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
             b"MX: 1\r\nST: ssdp:all\r\n\r\n")
    return [("syslog", "udp", 514, logs, None), ("ssdp-unicast", "udp", 1900, [ssdp], None)]


@case
def mgcp_skinny():
    from scapy.layers.mgcp import MGCP
    from scapy.layers.skinny import Skinny
    crcx = MGCP(verb="CRCX", transaction_id="1204", endpoint="aaln/1@gw.example.org",
                version="MGCP 1.0")
    ok = MGCP(verb="200", transaction_id="1204", endpoint="OK", version="")
    return [("mgcp", "udp", 2427, [C(crcx), S(ok)], 2727),
            ("skinny-keepalive", "tcp", 2000,
             [C(Skinny(msg=0)), S(Skinny(msg=0x100)), C(Skinny(msg=0)), S(Skinny(msg=0x100))],
             None)]


@case
def tacacs_pptp():
    from scapy.contrib.tacacs import TacacsHeader, TacacsAuthenticationStart
    from scapy.layers.pptp import PPTPStartControlConnectionRequest, \
        PPTPStartControlConnectionReply
    tac = TacacsHeader(seq=1, flags=1, session_id=0x3A2B1C0D) / TacacsAuthenticationStart(
        user=b"admin", port=b"tty1", rem_addr=b"10.77.0.2")
    sccrq = PPTPStartControlConnectionRequest(host_name=b"client", vendor_string=b"lab")
    sccrp = PPTPStartControlConnectionReply(host_name=b"server", vendor_string=b"lab")
    return [("tacacs+", "tcp", 49, [C(tac)], None),
            ("pptp", "tcp", 1723, [C(sccrq), S(sccrp)], None)]


@case
def bfd_ldp_hicp():
    from scapy.contrib.bfd import BFD
    from scapy.contrib.ldp import LDP, LDPHello
    msgs = []
    for i in range(4):
        msgs.append(C(BFD(my_discriminator=1, your_discriminator=2 if i else 0, sta=3 if i else 1)))
        msgs.append(S(BFD(my_discriminator=2, your_discriminator=1, sta=3)))
    hello = LDP(id="10.77.0.2") / LDPHello()
    return [("bfd", "udp", 3784, msgs, 49152), ("ldp-hello", "udp", 646, [C(hello), S(hello)], 646)]


@case
def oncrpc_nfs():
    from scapy.contrib.oncrpc import RPC, RPC_Call
    from scapy.contrib.portmap import GETPORT_Call, GETPORT_Reply
    call = RPC(xid=0x1A2B3C4D, mtype=0) / RPC_Call(program=100000, pversion=2, procedure=3) / \
        GETPORT_Call(prog=100003, vers=3, prot=17)
    rep = RPC(xid=0x1A2B3C4D, mtype=1) / GETPORT_Reply(port=2049)
    tcp_call = raw(call)
    return [("portmap-getport", "udp", 111, [C(call), S(rep)], None),
            ("portmap-tcp", "tcp", 111,
             [C(struct.pack(">I", 0x80000000 | len(tcp_call)) + tcp_call)], None)]


@case
def wireguard():
    from scapy.contrib.wireguard import Wireguard, WireguardInitiation, WireguardResponse, \
        WireguardTransport
    r = rng("wg")

    def rb(n):
        return bytes(r.randrange(256) for _ in range(n))
    init = Wireguard() / WireguardInitiation(sender_index=r.randrange(2**32),
                                             unencrypted_ephemeral=rb(32), encrypted_static=rb(48),
                                             encrypted_timestamp=rb(28), mac1=rb(16))
    resp = Wireguard(message_type=2) / WireguardResponse(sender_index=7, receiver_index=8,
                                                         unencrypted_ephemeral=rb(32),
                                                         encrypted_nothing=rb(16), mac1=rb(16))
    msgs = [C(init), S(resp)]
    for i in range(6):
        t = Wireguard(message_type=4) / WireguardTransport(receiver_index=8, counter=i,
                                                           encrypted_encapsulated_packet=rb(96))
        msgs.append(C(t) if i % 2 == 0 else S(t))
    return [("wireguard", "udp", 51820, msgs, 51820)]


@case
def dcerpc():
    from scapy.layers.dcerpc import DceRpc5, DceRpc5Bind, DceRpc5Context, \
        DceRpc5TransferSyntax, DceRpc5AbstractSyntax
    from uuid import UUID
    epm = UUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa")
    ndr = UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
    context = DceRpc5Context(
        cont_id=0, abstract_syntax=DceRpc5AbstractSyntax(if_uuid=epm, if_version=3),
        transfer_syntaxes=[DceRpc5TransferSyntax(if_uuid=ndr, if_version=2)])
    bind = DceRpc5(ptype=11, call_id=1) / DceRpc5Bind(max_xmit_frag=4280, max_recv_frag=4280,
                                                      context_elem=[context])
    return [("dcerpc-epm-bind", "tcp", 135, [C(bind)], None)]


@case
def postgres_mysql():
    """scapy's startup message; the server's AuthenticationOk and ReadyForQuery written from
    the protocol documentation."""
    from scapy.contrib.postgres import Startup
    start = Startup(options=b"user\0alice\0database\0lab\0\0")
    ready = b"R\0\0\0\x08\0\0\0\0" + b"Z\0\0\0\x05I"
    return [("postgres-startup", "tcp", 5432, [C(start), S(ready)], None)]


@case
def ptp_rtsp_tzsp():
    from scapy.contrib.ptp_v2 import PTP
    sync = PTP(messageType=0, sequenceId=1)
    follow = PTP(messageType=8, sequenceId=1)
    return [("ptp-v2", "udp", 319, [C(sync), C(follow), C(PTP(messageType=0, sequenceId=2))], 319)]


@case
def rtps():
    """scapy's RTPS header and an INFO_DST submessage written from the DDSI-RTPS 2.3
    specification."""
    from scapy.contrib.rtps import RTPS
    hdr = RTPS(protocolVersion=b"\x02\x03", vendorId=b"\x01\x0f",
               guidPrefix=bytes(range(12)))
    return [("rtps", "udp", 7400, [C(raw(hdr) + bytes.fromhex(
        "0e01 0c00 0102030405060708090a0b0c".replace(" ", "")))], None)]


@case
def ipfix():
    """Written from the specification: an IPFIX message (RFC 7011), a template set and a
    data set."""
    tmpl = struct.pack(">HHHH", 2, 20, 256, 3) + struct.pack(">HHHHHH", 8, 4, 12, 4, 4, 1)
    data = struct.pack(">HH", 256, 4 + 9 * 3) + b"".join(
        bytes([10, 0, 0, i, 10, 0, 1, i, 6]) for i in range(3))
    msg = struct.pack(">HHIII", 10, 16 + len(tmpl) + len(data), 1796428800, 1, 0) + tmpl + data
    return [("ipfix", "udp", 4739, [C(msg), C(msg)], None)]


@case
def ntp_peers():
    """ntpd peers in symmetric mode (RFC 5905 modes 1 and 2): first bytes 0x21/0x22 (v4),
    0x19/0x1a (v3), 0x11 (v2) — 0x21 and 0x11 are also uTP's STATE and FIN type bytes."""
    from scapy.layers.ntp import NTPHeader
    flows = []
    for version, a_mode, b_mode, prec in ((4, 1, 1, (-23, -24)), (4, 1, 2, (-20, -20)),
                                          (3, 1, 2, (-19, -18)), (2, 1, 1, (-6, -6))):
        msgs = []
        for i in range(8):
            t = 3973900800 + i * 64
            for from_a, mode, p in ((True, a_mode, prec[0]), (False, b_mode, prec[1])):
                h = NTPHeader(leap=0, version=version, mode=mode, stratum=2, poll=6, precision=p,
                              delay=0.0123, dispersion=0.0456,
                              id="10.77.0.9" if from_a else "10.77.0.8", ref=t - 30,
                              orig=t + (0.1 if from_a else 0.2) if i else 0,
                              recv=t + (0.15 if from_a else 0.05) if i else 0,
                              sent=t + (0.2 if from_a else 0.1))
                msgs.append((from_a, raw(h)))
        flows.append((f"ntp-symmetric-v{version}-modes{a_mode}{b_mode}", "udp", 123, msgs, 123))
    return flows


@case
def coap_observe():
    """CoAP (RFC 7252/7641) with 1-byte tokens: CON requests start 0x41 (uTP's SYN byte), NON
    notifications 0x51."""
    from scapy.contrib.coap import CoAP
    msgs = [C(CoAP(type=0, code=1, msg_id=0x1001, token=b"\x7a",
                   options=[(6, b""), ("Uri-Path", b"t")]))]
    msgs.append(S(CoAP(type=2, code=69, msg_id=0x1001, token=b"\x7a",
                       options=[(6, b"\x01")], paymark=b"\xff") / b"21.5"))
    for i in range(12):
        msgs.append(S(CoAP(type=1, code=69, msg_id=0x2000 + i, token=b"\x7a",
                           options=[(6, bytes([i + 2]))], paymark=b"\xff") /
                      (b"21.%d" % (i % 10))))
    ping = [C(CoAP(type=0, code=0, msg_id=0x3000 + i)) for i in range(3)]
    pong = [S(CoAP(type=3, code=0, msg_id=0x3000 + i)) for i in range(3)]
    # 20-byte CON GETs with a 1-byte token (the size of a uTP SYN).
    short = []
    for i in range(4):
        q = CoAP(type=0, code=1, msg_id=0x4100 + i, token=bytes([i]),
                 options=[("Uri-Path", b"sensors"), ("Uri-Path", b"t1")])
        short += [C(q), S(CoAP(type=2, code=69, msg_id=0x4100 + i, token=bytes([i]),
                               paymark=b"\xff") / b"1")]
    return [("coap-observe", "udp", 5683, msgs, None),
            ("coap-ping", "udp", 5683, [m for pair in zip(ping, pong) for m in pair], None),
            ("coap-short-get", "udp", 5683, short, None)]


@case
def turn_channel_data():
    """Written from the specification: TURN ChannelData (RFC 8656 §12): channel numbers
    0x4000-0x4FFF, so 0x41xx starts like
    a uTP SYN; the relayed data is RTP, and ICE consent checks (STUN) go over the channel."""
    from scapy.contrib.stun import STUN
    r = rng("turn")
    msgs = []
    ssrc = r.randrange(2**32)
    for i in range(10):
        rtp = struct.pack(">BBHII", 0x80, 111, 1000 + i, 48000 + 960 * i, ssrc) + \
            bytes(r.randrange(256) for _ in range(60 + r.randrange(40)))
        msgs.append(C(struct.pack(">HH", 0x4100, len(rtp)) + rtp +
                      b"\0" * ((-len(rtp)) % 4)))
        msgs.append(S(struct.pack(">HH", 0x4100, len(rtp)) + rtp[::-1] +
                      b"\0" * ((-len(rtp)) % 4)))
    stun = raw(STUN(stun_message_type="Binding request", transaction_id=r.randrange(2**96)))
    msgs.append(C(struct.pack(">HH", 0x4101, len(stun)) + stun))
    tiny = bytes(r.randrange(256) for _ in range(16))
    msgs.append(C(struct.pack(">HH", 0x4100, 16) + tiny))
    return [("turn-channeldata", "udp", 3478, msgs, None)]


@case
def openvpn():
    """Written from OpenVPN's protocol documentation: OpenVPN over UDP after its first
    renegotiation (key_id 1): P_CONTROL_V1 0x21,
    P_ACK_V1 0x29, P_DATA_V1 0x31 (uTP STATE and RESET type bytes)."""
    r = rng("openvpn")
    sid_c = bytes(r.randrange(256) for _ in range(8))
    sid_s = bytes(r.randrange(256) for _ in range(8))
    msgs = []
    for i in range(4):
        tls = bytes([0x17, 3, 3, 0, 40]) + bytes(r.randrange(256) for _ in range(40))
        msgs.append(C(bytes([0x21]) + sid_c + b"\0" + struct.pack(">I", 10 + i) + tls))
        msgs.append(S(bytes([0x29]) + sid_s + b"\x01" + struct.pack(">I", 10 + i) + sid_c))
    for i in range(12):
        body = struct.pack(">I", 1000 + i) + bytes(r.randrange(256) for _ in range(100))
        msgs.append((i % 2 == 0, bytes([0x31]) + body))
    hard = bytes([0x38]) + sid_c + b"\0" + struct.pack(">I", 0)
    return [("openvpn-udp-key1", "udp", 1194, msgs, None),
            ("openvpn-hard-reset", "udp", 1194, [C(hard), C(hard)], None)]


@case
def pfcp_session():
    """PFCP session messages carry a SEID: the first byte is 0x21 (version 1, S flag)."""
    from scapy.contrib.pfcp import PFCP, PFCPSessionModificationRequest, \
        PFCPSessionModificationResponse, IE_Cause
    msgs = []
    for i in range(5):
        msgs.append(C(PFCP(version=1, S=1, seid=0x1000 + 1, seq=100 + i) /
                      PFCPSessionModificationRequest()))
        msgs.append(S(PFCP(version=1, S=1, seid=0x2000 + 1, seq=100 + i) /
                      PFCPSessionModificationResponse(IE_list=[IE_Cause(cause=1)])))
    return [("pfcp-session", "udp", 8805, msgs, 8805)]


@case
def raknet():
    """Written from the protocol documentation: RakNet (Minecraft Bedrock): unconnected ping
    0x01 and pong 0x1c, with its magic."""
    magic = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")
    msgs = []
    for i in range(4):
        msgs.append(C(b"\x01" + struct.pack(">Q", 1000 + i) + magic +
                      struct.pack(">Q", 0x1122334455667788)))
        motd = b"MCPE;Lab server;589;1.20.0;0;10;12345;world;Survival;1;19132;19133;"
        msgs.append(S(b"\x1c" + struct.pack(">QQ", 1000 + i, 0x99AA) + magic +
                      struct.pack(">H", len(motd)) + motd))
    return [("raknet-ping", "udp", 19132, msgs, None)]


@case
def iax2():
    """Written from the specification: IAX2 (RFC 5456) mini frames: a 15-bit call number and
    a 16-bit timestamp, then audio;
    call numbers 0x01xx make a first byte of 0x01 (uTP's DATA byte)."""
    r = rng("iax2")
    msgs = []
    for i in range(12):
        ts = (20 * i) & 0xFFFF
        msgs.append(C(struct.pack(">HH", 0x0105, ts) + bytes(r.randrange(256) for _ in range(160))))
        msgs.append(S(struct.pack(">HH", 0x0106, ts) + bytes(r.randrange(256) for _ in range(160))))
    return [("iax2-mini-frames", "udp", 4569, msgs, 4569)]


@case
def modbus_poll():
    """A SCADA poller reading registers 40 times, transaction ids from 0."""
    from scapy.contrib.modbus import ModbusADURequest, ModbusADUResponse, \
        ModbusPDU03ReadHoldingRegistersRequest, ModbusPDU03ReadHoldingRegistersResponse, \
        ModbusPDU01ReadCoilsRequest, ModbusPDU01ReadCoilsResponse
    msgs = []
    for i in range(40):
        if i % 2:
            msgs.append(C(ModbusADURequest(transId=i, unitId=1) /
                          ModbusPDU01ReadCoilsRequest(startAddr=0, quantity=8)))
            msgs.append(S(ModbusADUResponse(transId=i, unitId=1) /
                          ModbusPDU01ReadCoilsResponse(coilStatus=[i & 0xFF])))
        else:
            msgs.append(C(ModbusADURequest(transId=i, unitId=1) /
                          ModbusPDU03ReadHoldingRegistersRequest(startAddr=0, quantity=2)))
            msgs.append(S(ModbusADUResponse(transId=i, unitId=1) /
                          ModbusPDU03ReadHoldingRegistersResponse(registerVal=[i, 0])))
    return [("modbus-poll", "tcp", 502, msgs, None)]


@case
def vnc():
    """Written from the specification: RFB 3.8 (RFC 6143): version, security, init, then
    update requests and raw updates."""
    r = rng("vnc")
    msgs = [S(b"RFB 003.008\n"), C(b"RFB 003.008\n"), S(b"\x01\x01"), C(b"\x01"),
            S(b"\0\0\0\0"), C(b"\x01"),
            S(struct.pack(">HH", 1024, 768) + bytes([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8,
                                                     0, 0, 0, 0]) + struct.pack(">I", 3) + b"lab")]
    msgs.append(C(bytes([2, 0]) + struct.pack(">H", 3) + struct.pack(">iii", 0, 1, -239)))
    for i in range(10):
        msgs.append(C(bytes([3, 1]) + struct.pack(">HHHH", 0, 0, 1024, 768)))
        x, y, w, h = 16 * i, 8 * i, 4, 2
        pixels = bytes(r.randrange(256) for _ in range(w * h * 4))
        msgs.append(S(bytes([0, 0]) + struct.pack(">H", 1) + struct.pack(">HHHHi", x, y, w, h, 0) +
                      pixels))
        msgs.append(C(bytes([5, 0]) + struct.pack(">HH", 100 + i, 200 + i)))
    return [("vnc-rfb", "tcp", 5900, msgs, None)]


@case
def length_framed_rpcs():
    """Protocols framed as a big-endian u32 length and a body, written field by field from
    their specifications: ZooKeeper, Thrift's framed binary protocol, Kafka."""
    flows = []
    # ZooKeeper: ConnectRequest, ConnectResponse, then pings (xid -2, type 11) and getData.
    conn = struct.pack(">iqiq", 0, 0, 30000, 0) + struct.pack(">i", 16) + bytes(16)
    conn_r = struct.pack(">iiq", 0, 30000, 0x1000000AB) + struct.pack(">i", 16) + bytes(range(16))
    msgs = [C(struct.pack(">I", len(conn)) + conn), S(struct.pack(">I", len(conn_r)) + conn_r)]
    for i in range(10):
        ping = struct.pack(">ii", -2, 11)
        msgs.append(C(struct.pack(">I", len(ping)) + ping))
        pr = struct.pack(">iqi", -2, 100 + i, 0)
        msgs.append(S(struct.pack(">I", len(pr)) + pr))
        get = struct.pack(">ii", i + 1, 4) + struct.pack(">i", 5) + b"/conf" + b"\0"
        msgs.append(C(struct.pack(">I", len(get)) + get))
        gr = struct.pack(">iqi", i + 1, 200 + i, 0) + struct.pack(">i", 2) + b"ok" + bytes(68)
        msgs.append(S(struct.pack(">I", len(gr)) + gr))
    flows.append(("zookeeper", "tcp", 2181, msgs, None))
    # Thrift framed binary protocol: a call and its reply, 10 times.
    msgs = []
    for i in range(10):
        call = struct.pack(">IH", 0x80010001, 0)[:4] + struct.pack(">I", 4) + b"ping" + \
            struct.pack(">i", i) + b"\x00"
        rep = struct.pack(">I", 0x80010002) + struct.pack(">I", 4) + b"ping" + \
            struct.pack(">i", i) + b"\x00"
        msgs += [C(struct.pack(">I", len(call)) + call), S(struct.pack(">I", len(rep)) + rep)]
    flows.append(("thrift-framed", "tcp", 9090, msgs, None))
    # Kafka: ApiVersions v0, then Metadata v1 for all topics (a null array), correlation ids
    # from 0; the broker lists itself and no topics.
    api = struct.pack(">hhi", 18, 0, 0) + struct.pack(">h", 7) + b"rdkafka"
    api_r = struct.pack(">ih", 0, 0) + struct.pack(">i", 2) + struct.pack(">hhh", 3, 0, 12) + \
        struct.pack(">hhh", 18, 0, 3)
    msgs = [C(struct.pack(">I", len(api)) + api), S(struct.pack(">I", len(api_r)) + api_r)]
    for i in range(1, 6):
        req = struct.pack(">hhi", 3, 1, i) + struct.pack(">h", 7) + b"rdkafka" + \
            struct.pack(">i", -1)
        resp = struct.pack(">i", i) + struct.pack(">i", 1) + struct.pack(">i", 1) + \
            struct.pack(">h", 9) + b"10.77.0.1" + struct.pack(">i", 9092) + \
            struct.pack(">h", -1) + struct.pack(">i", 1) + struct.pack(">i", 0)
        msgs += [C(struct.pack(">I", len(req)) + req), S(struct.pack(">I", len(resp)) + resp)]
    flows.append(("kafka", "tcp", 9092, msgs, None))
    return flows


def add_all(cap, sweep):
    failed = []
    for fn in CASES:
        try:
            flows = fn()
        except Exception as e:  # a layer this scapy lacks is reported, not fatal
            failed.append(f"{fn.__name__}: {type(e).__name__}: {e}")
            continue
        for program, l4, port, msgs, sport in flows:
            cap.flow("scapy", program, l4, port, msgs, sport=sport)
            if sweep:
                for bt in (6881, 6969, 51413):
                    cap.flow("scapy", program + f"@{bt}", l4, bt, msgs)
                    cap.flow("scapy", program + f"@from{bt}", l4, port, msgs, sport=bt)
    for f in failed:
        print("probes_scapy: skipped", f, file=sys.stderr)

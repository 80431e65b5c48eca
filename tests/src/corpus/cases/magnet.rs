//! Magnet URIs in ordinary content (a web page, an IRC message, an e-mail): metadata, not
//! BitTorrent.

use super::super::benign as bn;
use super::super::bt::{self};
use super::super::packet::{Dir, Tcp, Trace};
use super::super::{FlowExpect as F, Role};
use super::*;

const CM: &str = "magnet in content";

pub(super) fn magnets(b: &mut Builder) {
    let ih_of = |name: &str| seed(name).array::<20>();
    {
        let name = "magnet-web-page";
        let ih = ih_of(name);
        let mut t = Trace::new();
        let (a, s) = (v4(120, 46001), v4(121, 80));
        let mut c = Tcp::open(&mut t, a, s);
        http(
            &mut t,
            &mut c,
            &get("/downloads.html", "www.lab"),
            &bt::http_ok("text/html", "", &bn::magnet_page(&hex(&ih))),
        );
        c.close(&mut t);
        b.add(
            name,
            CM,
            "a web page linking a magnet URI",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s).with_info_hash(ih)],
        );
    }
    {
        let name = "magnet-irc";
        let ih = ih_of(name);
        let mut t = Trace::new();
        let (a, s) = (v4(122, 46002), v4(123, 6667));
        let mut c = Tcp::open(&mut t, a, s);
        c.send(&mut t, Dir::A, b"NICK alice\r\nUSER alice 0 * :Alice\r\n");
        c.send(&mut t, Dir::B, b":irc.lab 001 alice :Welcome to the lab IRC network alice\r\n:irc.lab 376 alice :End of /MOTD command.\r\n");
        c.send(&mut t, Dir::A, b"JOIN #linux\r\n");
        c.send(
            &mut t,
            Dir::A,
            format!(
                "PRIVMSG #linux :the new iso is out: magnet:?xt=urn:btih:{}&dn=debian-12.iso\r\n",
                hex(&ih)
            )
            .as_bytes(),
        );
        c.send(&mut t, Dir::B, b":bob!bob@lab PRIVMSG #linux :thanks!\r\n");
        c.send(&mut t, Dir::A, b"QUIT :bye\r\n");
        c.close(&mut t);
        b.add(
            name,
            CM,
            "an IRC message carrying a magnet URI",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s).with_info_hash(ih)],
        );
    }
    {
        let name = "magnet-email";
        let ih = ih_of(name);
        let mut t = Trace::new();
        let (a, s) = (v4(124, 46003), v4(125, 25));
        let mut c = Tcp::open(&mut t, a, s);
        for (d, line) in [
            (Dir::B, "220 mail.lab ESMTP Postfix (Debian/GNU)\r\n".to_string()),
            (Dir::A, "EHLO client.lab\r\n".into()),
            (Dir::B, "250-mail.lab\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n".into()),
            (Dir::A, "MAIL FROM:<alice@lab>\r\n".into()),
            (Dir::B, "250 2.1.0 Ok\r\n".into()),
            (Dir::A, "RCPT TO:<bob@lab>\r\n".into()),
            (Dir::B, "250 2.1.5 Ok\r\n".into()),
            (Dir::A, "DATA\r\n".into()),
            (Dir::B, "354 End data with <CR><LF>.<CR><LF>\r\n".into()),
            (Dir::A, format!("From: alice@lab\r\nTo: bob@lab\r\nSubject: the iso\r\n\r\nHi Bob,\r\n\r\nhere it is: magnet:?xt=urn:btih:{}&dn=debian-12.iso&tr=udp%3A%2F%2Ftracker.lab%3A6969\r\n\r\nAlice\r\n.\r\n", hex(&ih))),
            (Dir::B, "250 2.0.0 Ok: queued as 4F2A1C\r\n".into()),
            (Dir::A, "QUIT\r\n".into()),
            (Dir::B, "221 2.0.0 Bye\r\n".into()),
        ] {
            c.send(&mut t, d, line.as_bytes());
        }
        c.close(&mut t);
        b.add(
            name,
            CM,
            "an e-mail (SMTP) whose body carries a magnet URI",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s).with_info_hash(ih)],
        );
    }
}

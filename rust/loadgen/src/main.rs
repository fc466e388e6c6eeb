//! ws-loadgen: thousands of clients of the engine's WebSocket multiplayer protocol in
//! one process, for the multiplayer scale benchmark (scripts/bench-scale). A measuring
//! aid, never shipped. Built on ws-protocol with sockets of its own (non-blocking,
//! spread over several 127.0.0.x source addresses) and one epoll set, so only the
//! connections with something to do are touched.
//!
//!   ws-loadgen --url ws://127.0.0.1:PORT/ --clients N [--sources K] [--packets FILE]
//!
//! The server's first message to a client is its peer ID (4 bytes, little-endian);
//! later messages are SceneMultiplayer packets. `--packets` names the packets a real
//! Godot client exchanged for the benchmark's RPCs (bench/scale_capture.gd writes it):
//! they are replayed byte for byte and arrivals are recognised by their bytes.
//!
//! Commands on stdin, one per line; every command answers with one JSON line on
//! stdout (`"event"` is the command's name):
//!   join SECONDS        connect every client at once; done when all have their ID or
//!                       failed, or at the deadline, when the ones without an ID are dropped
//!   quiet MS SECONDS    done once no message arrived for MS ms (or at the deadline)
//!   broadcast I SECONDS done once every joined client has received the benchmark's
//!                       broadcast RPC number I (0: the first, with the path set-up,
//!                       answered as a real client does; 1: a later one)
//!   prime SECONDS       every joined client makes its first RPC call (the path set-up
//!                       and the call); done once the server confirmed the path to all
//!   rpc HZ SECONDS      every joined client calls the RPC HZ times a second, staggered
//!   stats               counters, this process's CPU time and memory
//!   exit
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

#[cfg(target_os = "linux")]
fn main() {
    if let Err(why) = linux::run() {
        eprintln!("ws-loadgen: {why}");
        std::process::exit(1);
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("ws-loadgen: Linux only (epoll)");
    std::process::exit(2);
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeMap;
    use std::io::{self, Read, Write};
    use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
    use std::os::fd::AsRawFd;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use socket2::{Domain, Protocol, Socket, Type};
    use ws_protocol::{ClientHandshake, Connection, Limits, Role, State, WsUrl};

    const STDIN_TOKEN: u64 = u64::MAX;
    const READ_BUFFER: usize = 64 * 1024;
    /// Descriptors kept for stdin/stdout, the epoll set and the like.
    const SPARE_FDS: u64 = 64;

    enum Phase {
        Idle,
        Connecting,
        /// The request bytes still to write.
        Handshake(Box<ClientHandshake>, Vec<u8>),
        Open(Box<Connection>),
        Gone,
    }

    struct Client {
        stream: Option<TcpStream>,
        phase: Phase,
        id: i32,
        /// Seconds from the join command to the ID; negative until then.
        joined_at: f64,
        /// Wall-clock time (UNIX seconds) each broadcast arrived; 0 until it did.
        arrivals: [f64; 2],
        /// The server confirmed the path of our first call.
        confirmed: bool,
    }

    /// The captured packets (see the module comment); empty when none were given.
    #[derive(Default)]
    struct Packets {
        /// What arrives for broadcast 0 and 1; the last one of each is the RPC itself.
        broadcast_receive: [Vec<Vec<u8>>; 2],
        /// A real client's answer to broadcast 0's path packet.
        broadcast_reply: Vec<Vec<u8>>,
        call_first_send: Vec<Vec<u8>>,
        call_first_receive: Vec<Vec<u8>>,
        call_steady_send: Vec<u8>,
    }

    enum Task {
        None,
        Join { deadline: Instant, issue_seconds: f64, cpu0: f64 },
        Quiet { ms: u64, deadline: Instant },
        Broadcast { index: usize, deadline: Instant },
        Prime { deadline: Instant, sent: u64 },
        Rpc { hz: f64, seconds: f64, senders: Vec<usize>, next: u64, max_late: f64, cpu0: f64 },
    }

    #[derive(Default)]
    struct Counters {
        joined: u64,
        /// Messages after the ID, and those that matched no captured packet.
        messages: u64,
        other: u64,
        /// A few unknown packets, for the log (hex, first bytes).
        other_samples: Vec<String>,
        /// Connections that ended after their ID arrived.
        lost: u64,
        failures: BTreeMap<String, u64>,
        rpc_sent: u64,
    }

    struct Loadgen {
        clients: Vec<Client>,
        url: WsUrl,
        server: SocketAddrV4,
        sources: u8,
        packets: Packets,
        epoll: i32,
        rng: u64,
        start: Instant,
        /// When the running command began (join: when the first connect was issued).
        task_start: Instant,
        last_message: Instant,
        counters: Counters,
        task: Task,
        stdin_buffer: Vec<u8>,
        stdin_open: bool,
        commands: std::collections::VecDeque<String>,
        exit: bool,
    }

    pub fn run() -> Result<(), String> {
        let mut url = String::new();
        let mut clients = 0usize;
        let mut sources = 4u8;
        let mut packets_file = String::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--url" => url = value()?,
                "--clients" => clients = value()?.parse().map_err(|_| "--clients: not a number")?,
                "--sources" => sources = value()?.parse().map_err(|_| "--sources: 1..=254")?,
                "--packets" => packets_file = value()?,
                _ => {
                    return Err(format!(
                        "unknown argument {arg} (--url URL --clients N [--sources K] [--packets FILE])"
                    ))
                }
            }
        }
        if url.is_empty() || clients == 0 || sources == 0 || sources == 255 {
            return Err(
                "usage: ws-loadgen --url ws://127.0.0.1:PORT/ --clients N [--sources K] [--packets FILE]".into()
            );
        }
        let url = WsUrl::parse(&url).map_err(|e| format!("--url: {e}"))?;
        let ip: Ipv4Addr = url.host.parse().map_err(|_| "--url: give an IPv4 address (loopback)".to_string())?;
        let packets = if packets_file.is_empty() { Packets::default() } else { read_packets(&packets_file)? };
        raise_fd_limit(clients as u64 + SPARE_FDS)?;
        // SAFETY: plain syscall.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epoll < 0 {
            return Err(format!("epoll_create1: {}", io::Error::last_os_error()));
        }
        set_nonblocking(0)?;
        add_to_epoll(epoll, 0, STDIN_TOKEN, libc::EPOLLIN as u32 | libc::EPOLLRDHUP as u32)
            .map_err(|e| format!("epoll (stdin): {e}"))?;
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| format!("random: {e}"))?;
        let now = Instant::now();
        let mut lg = Loadgen {
            clients: (0..clients)
                .map(|_| Client {
                    stream: None,
                    phase: Phase::Idle,
                    id: 0,
                    joined_at: -1.0,
                    arrivals: [0.0; 2],
                    confirmed: false,
                })
                .collect(),
            server: SocketAddrV4::new(ip, url.port),
            url,
            sources,
            packets,
            epoll,
            rng: u64::from_le_bytes(seed) | 1,
            start: now,
            task_start: now,
            last_message: now,
            counters: Counters::default(),
            task: Task::None,
            stdin_buffer: Vec::new(),
            stdin_open: true,
            commands: Default::default(),
            exit: false,
        };
        lg.main_loop();
        Ok(())
    }

    impl Loadgen {
        fn main_loop(&mut self) {
            let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
            let mut buffer = vec![0u8; READ_BUFFER];
            while !self.exit {
                let timeout = match self.task {
                    Task::Rpc { .. } => 1,
                    Task::None => 200,
                    _ => 10,
                };
                // SAFETY: `events` outlives the call and holds `len` entries.
                let n = unsafe { libc::epoll_wait(self.epoll, events.as_mut_ptr(), events.len() as i32, timeout) };
                if n < 0 {
                    let e = io::Error::last_os_error();
                    if e.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    self.emit(&format!("{{\"event\":\"fatal\",\"error\":{}}}", json_str(&format!("epoll_wait: {e}"))));
                    return;
                }
                for ev in &events[..n as usize] {
                    let (token, flags) = (ev.u64, ev.events);
                    if token == STDIN_TOKEN {
                        self.read_stdin();
                    } else {
                        self.on_ready(token as usize, flags, &mut buffer);
                    }
                }
                self.step_task();
                if !self.stdin_open && matches!(self.task, Task::None) && self.commands.is_empty() {
                    return; // the runner went away
                }
            }
        }

        fn emit(&self, line: &str) {
            let mut out = io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }

        fn since_start(&self) -> Duration {
            self.start.elapsed()
        }

        // --- commands ------------------------------------------------------------------

        fn read_stdin(&mut self) {
            let mut chunk = [0u8; 4096];
            loop {
                match io::stdin().lock().read(&mut chunk) {
                    Ok(0) => {
                        self.stdin_open = false;
                        // SAFETY: plain syscall; stdin leaves the set so EOF is not reported again.
                        unsafe { libc::epoll_ctl(self.epoll, libc::EPOLL_CTL_DEL, 0, std::ptr::null_mut()) };
                        break;
                    }
                    Ok(n) => self.stdin_buffer.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            while let Some(pos) = self.stdin_buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.stdin_buffer.drain(..=pos).collect();
                let line = String::from_utf8_lossy(&line).trim().to_string();
                if !line.is_empty() {
                    self.commands.push_back(line);
                }
            }
        }

        /// Starts the next command when none is running; finishes the running one when done.
        fn step_task(&mut self) {
            if matches!(self.task, Task::None) {
                if let Some(command) = self.commands.pop_front() {
                    self.start_command(&command);
                }
            }
            let now = Instant::now();
            let done = match &mut self.task {
                Task::None => false,
                Task::Join { deadline, .. } => {
                    let settled = self.clients.iter().all(|c| c.id != 0 || matches!(c.phase, Phase::Gone));
                    settled || now >= *deadline
                }
                Task::Quiet { ms, deadline } => {
                    let quiet_for = now.saturating_duration_since(self.last_message.max(self.task_start));
                    quiet_for >= Duration::from_millis(*ms) || now >= *deadline
                }
                Task::Broadcast { index, deadline } => {
                    let index = *index;
                    self.clients.iter().filter(|c| c.id != 0 && is_open(c)).all(|c| c.arrivals[index] > 0.0)
                        || now >= *deadline
                }
                Task::Prime { deadline, .. } => {
                    self.clients.iter().filter(|c| c.id != 0 && is_open(c)).all(|c| c.confirmed) || now >= *deadline
                }
                Task::Rpc { .. } => self.rpc_step(now),
            };
            if done {
                self.finish_task();
            }
        }

        fn start_command(&mut self, command: &str) {
            let words: Vec<&str> = command.split_whitespace().collect();
            let number = |i: usize| words.get(i).and_then(|w| w.parse::<f64>().ok());
            let now = Instant::now();
            self.task_start = now;
            let after = |seconds: f64| now + Duration::from_secs_f64(seconds.clamp(0.0, 3600.0));
            match (words[0], number(1), number(2)) {
                ("join", Some(seconds), None) => {
                    let cpu0 = cpu_seconds();
                    for i in 0..self.clients.len() {
                        self.connect(i);
                    }
                    let issue_seconds = now.elapsed().as_secs_f64();
                    self.task = Task::Join { deadline: after(seconds), issue_seconds, cpu0 };
                }
                ("quiet", Some(ms), Some(seconds)) => {
                    self.task = Task::Quiet { ms: ms as u64, deadline: after(seconds) };
                }
                ("broadcast", Some(index), Some(seconds)) if index == 0.0 || index == 1.0 => {
                    self.task = Task::Broadcast { index: index as usize, deadline: after(seconds) };
                }
                ("prime", Some(seconds), None) => {
                    let first = self.packets.call_first_send.clone();
                    let mut sent = 0;
                    for i in 0..self.clients.len() {
                        if self.clients[i].id != 0 && is_open(&self.clients[i]) {
                            for packet in &first {
                                self.send(i, packet);
                            }
                            sent += 1;
                        }
                    }
                    self.task = Task::Prime { deadline: after(seconds), sent };
                }
                ("rpc", Some(hz), Some(seconds)) if hz > 0.0 => {
                    let senders: Vec<usize> = (0..self.clients.len())
                        .filter(|&i| self.clients[i].id != 0 && is_open(&self.clients[i]))
                        .collect();
                    self.counters.rpc_sent = 0;
                    self.task = Task::Rpc { hz, seconds, senders, next: 0, max_late: 0.0, cpu0: cpu_seconds() };
                }
                ("stats", None, None) => {
                    let line = format!("{{\"event\":\"stats\",{}}}", self.common_fields());
                    self.emit(&line);
                }
                ("exit", None, None) => self.exit = true,
                _ => self.emit(&format!(
                    "{{\"event\":\"error\",\"error\":{}}}",
                    json_str(&format!("bad command: {command}"))
                )),
            }
        }

        fn finish_task(&mut self) {
            let task = std::mem::replace(&mut self.task, Task::None);
            let seconds = self.task_start.elapsed().as_secs_f64();
            let line = match task {
                Task::None => return,
                Task::Join { issue_seconds, cpu0, .. } => {
                    // The ones without an ID by now are dropped, so that the rest run alone.
                    let mut dropped = 0;
                    for i in 0..self.clients.len() {
                        if self.clients[i].id == 0 && !matches!(self.clients[i].phase, Phase::Gone) {
                            let what = match self.clients[i].phase {
                                Phase::Connecting => "no ID by the deadline (TCP connecting)",
                                Phase::Handshake(..) => "no ID by the deadline (handshake)",
                                _ => "no ID by the deadline (open, no ID)",
                            };
                            self.drop_client(i, what);
                            dropped += 1;
                        }
                    }
                    let mut times: Vec<f64> = self.clients.iter().filter(|c| c.id != 0).map(|c| c.joined_at).collect();
                    times.sort_by(f64::total_cmp);
                    let all = times.len() == self.clients.len();
                    format!(
                        "{{\"event\":\"join\",\"clients\":{},\"joined\":{},\"dropped\":{dropped},\"all_seconds\":{},\"p50_seconds\":{},\"p90_seconds\":{},\"last_seconds\":{},\"issue_seconds\":{issue_seconds:.6},\"seconds\":{seconds:.6},\"loadgen_cpu_seconds\":{:.3},{}}}",
                        self.clients.len(),
                        times.len(),
                        if all { format!("{:.6}", times.last().copied().unwrap_or(0.0)) } else { "null".into() },
                        json_f64(percentile(&times, 0.5)),
                        json_f64(percentile(&times, 0.9)),
                        json_f64(times.last().copied()),
                        cpu_seconds() - cpu0,
                        self.common_fields()
                    )
                }
                Task::Quiet { .. } => {
                    format!("{{\"event\":\"quiet\",\"seconds\":{seconds:.3},{}}}", self.common_fields())
                }
                Task::Broadcast { index, .. } => {
                    let waiting: Vec<&Client> = self.clients.iter().filter(|c| c.id != 0 && is_open(c)).collect();
                    let mut times: Vec<f64> = waiting.iter().map(|c| c.arrivals[index]).filter(|&t| t > 0.0).collect();
                    times.sort_by(f64::total_cmp);
                    format!(
                        "{{\"event\":\"broadcast\",\"index\":{index},\"got\":{},\"of\":{},\"first_wall\":{},\"p50_wall\":{},\"last_wall\":{},\"seconds\":{seconds:.3},{}}}",
                        times.len(),
                        waiting.len(),
                        json_f64(times.first().copied()),
                        json_f64(percentile(&times, 0.5)),
                        json_f64(times.last().copied()),
                        self.common_fields()
                    )
                }
                Task::Prime { sent, .. } => {
                    let confirmed = self.clients.iter().filter(|c| c.confirmed).count();
                    format!(
                        "{{\"event\":\"prime\",\"sent\":{sent},\"confirmed\":{confirmed},\"seconds\":{seconds:.3},{}}}",
                        self.common_fields()
                    )
                }
                Task::Rpc { hz, senders, max_late, cpu0, .. } => {
                    let cpu = cpu_seconds() - cpu0;
                    format!(
                        "{{\"event\":\"rpc\",\"hz\":{hz},\"senders\":{},\"sent\":{},\"max_late_ms\":{:.3},\"loadgen_cpu_seconds\":{cpu:.3},\"seconds\":{seconds:.3},{}}}",
                        senders.len(),
                        self.counters.rpc_sent,
                        max_late * 1e3,
                        self.common_fields()
                    )
                }
            };
            self.emit(&line);
        }

        /// Sends the calls that are due; true once the time is up.
        fn rpc_step(&mut self, now: Instant) -> bool {
            let elapsed = now.saturating_duration_since(self.task_start).as_secs_f64();
            let Task::Rpc { hz, seconds, senders, next, max_late, .. } = &mut self.task else { return true };
            if senders.is_empty() || elapsed >= *seconds {
                return true;
            }
            // Call k is made by sender k % n at k / (hz * n) seconds.
            let rate = *hz * senders.len() as f64;
            let due = (elapsed * rate).floor() as u64 + 1;
            let mut to_send = Vec::new();
            while *next < due {
                *max_late = f64::max(*max_late, elapsed - *next as f64 / rate);
                to_send.push(senders[(*next % senders.len() as u64) as usize]);
                *next += 1;
            }
            let packet = std::mem::take(&mut self.packets.call_steady_send);
            for i in to_send {
                if self.send(i, &packet) {
                    self.counters.rpc_sent += 1;
                }
            }
            self.packets.call_steady_send = packet;
            false
        }

        fn common_fields(&self) -> String {
            let open = self.clients.iter().filter(|c| is_open(c)).count();
            let failures: Vec<String> =
                self.counters.failures.iter().map(|(k, v)| format!("{}:{v}", json_str(k))).collect();
            let samples: Vec<String> = self.counters.other_samples.iter().map(|s| json_str(s)).collect();
            format!(
                "\"open\":{open},\"with_id\":{},\"lost\":{},\"messages\":{},\"other_messages\":{},\"other_samples\":[{}],\"failures\":{{{}}},\"loadgen_cpu_total_seconds\":{:.3},\"loadgen_rss_kib\":{},\"t\":{:.3}",
                self.counters.joined,
                self.counters.lost,
                self.counters.messages,
                self.counters.other,
                samples.join(","),
                failures.join(","),
                cpu_seconds(),
                rss_kib(),
                self.since_start().as_secs_f64()
            )
        }

        // --- connections ---------------------------------------------------------------

        fn connect(&mut self, i: usize) {
            let source = Ipv4Addr::new(127, 0, 0, 1 + (i % self.sources as usize) as u8);
            let socket = match self.open_socket(source) {
                Ok(socket) => socket,
                Err(e) => return self.drop_client(i, &format!("socket: {}", error_kind(&e))),
            };
            match socket.connect(&SocketAddr::V4(self.server).into()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return self.drop_client(i, &format!("connect: {}", error_kind(&e))),
            }
            let stream: TcpStream = socket.into();
            let flags = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
            if let Err(e) = add_to_epoll(self.epoll, stream.as_raw_fd(), i as u64, flags) {
                return self.drop_client(i, &format!("epoll: {}", error_kind(&e)));
            }
            let c = &mut self.clients[i];
            c.stream = Some(stream);
            c.phase = Phase::Connecting;
        }

        fn open_socket(&self, source: Ipv4Addr) -> io::Result<Socket> {
            let socket = Socket::new(Domain::IPV4, Type::STREAM.nonblocking().cloexec(), Some(Protocol::TCP))?;
            // The port is picked at connect() per destination, so 127.0.0.x:port pairs are
            // not used up by bind() (TIME_WAIT of earlier runs included).
            let on: libc::c_int = 1;
            // SAFETY: a valid socket and option value.
            unsafe {
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::IPPROTO_IP,
                    libc::IP_BIND_ADDRESS_NO_PORT,
                    &on as *const _ as *const libc::c_void,
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
            socket.bind(&SocketAddr::V4(SocketAddrV4::new(source, 0)).into())?;
            socket.set_tcp_nodelay(true)?;
            Ok(socket)
        }

        fn drop_client(&mut self, i: usize, why: &str) {
            let c = &mut self.clients[i];
            if matches!(c.phase, Phase::Gone) {
                return;
            }
            c.stream = None; // closing the descriptor takes it out of the epoll set
            c.phase = Phase::Gone;
            if c.id != 0 {
                self.counters.lost += 1;
            } else {
                *self.counters.failures.entry(why.to_string()).or_insert(0) += 1;
            }
        }

        fn on_ready(&mut self, i: usize, flags: u32, buffer: &mut [u8]) {
            if matches!(self.clients[i].phase, Phase::Connecting) {
                let c = &mut self.clients[i];
                let stream = c.stream.as_ref().expect("a connecting client has a socket");
                match stream.take_error() {
                    Ok(None) if flags & libc::EPOLLOUT as u32 != 0 => {}
                    Ok(None) => return,
                    Ok(Some(e)) | Err(e) => return self.drop_client(i, &format!("connect: {}", error_kind(&e))),
                }
                let key = self.random_bytes();
                let (handshake, request) =
                    match ClientHandshake::new(&self.url, &[], &[], key, 8192, Duration::from_secs(1 << 30)) {
                        Ok(pair) => pair,
                        Err(e) => return self.drop_client(i, &format!("request: {e}")),
                    };
                self.clients[i].phase = Phase::Handshake(Box::new(handshake), request);
            }
            if let Err(why) = self.write_request(i) {
                return self.drop_client(i, &why);
            }
            if flags & (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0 {
                self.read(i, buffer);
            }
            if matches!(self.clients[i].phase, Phase::Open(_)) {
                self.flush(i);
            }
        }

        fn write_request(&mut self, i: usize) -> Result<(), String> {
            let c = &mut self.clients[i];
            let (Phase::Handshake(_, request), Some(stream)) = (&mut c.phase, c.stream.as_mut()) else { return Ok(()) };
            while !request.is_empty() {
                match stream.write(request) {
                    Ok(n) => {
                        request.drain(..n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(format!("write request: {}", error_kind(&e))),
                }
            }
            Ok(())
        }

        /// Reads until the socket has nothing more (edge-triggered).
        fn read(&mut self, i: usize, buffer: &mut [u8]) {
            loop {
                let Some(stream) = self.clients[i].stream.as_mut() else { return };
                let n = match stream.read(buffer) {
                    Ok(0) => {
                        let why = match self.clients[i].phase {
                            Phase::Handshake(..) => "closed by the server during the handshake",
                            _ => "closed by the server before the ID",
                        };
                        if let Phase::Open(conn) = &mut self.clients[i].phase {
                            conn.receive_eof();
                        }
                        return self.drop_client(i, why);
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return self.drop_client(i, &format!("read: {}", error_kind(&e))),
                };
                let now = self.since_start();
                let mut messages = Vec::new();
                let c = &mut self.clients[i];
                match &mut c.phase {
                    Phase::Handshake(handshake, _) => match handshake.receive(&buffer[..n]) {
                        Ok(None) => {}
                        Ok(Some(outcome)) => {
                            let mut seed = [0u8; 32];
                            for chunk in seed.chunks_mut(16) {
                                chunk.copy_from_slice(&random16(&mut self.rng));
                            }
                            let mut conn = Connection::new(Role::Client, loadgen_limits(), now, seed);
                            conn.receive(&outcome.leftover, now);
                            while let Some(m) = conn.pop_message() {
                                messages.push(m.data);
                            }
                            c.phase = Phase::Open(Box::new(conn));
                        }
                        Err(e) => return self.drop_client(i, &format!("handshake: {e}")),
                    },
                    Phase::Open(conn) => {
                        conn.receive(&buffer[..n], now);
                        while let Some(m) = conn.pop_message() {
                            messages.push(m.data);
                        }
                    }
                    _ => return,
                }
                for message in messages {
                    self.on_message(i, message);
                }
                if let Phase::Open(conn) = &self.clients[i].phase {
                    if conn.state() == State::Closed {
                        return self.drop_client(i, "closed (protocol) before the ID");
                    }
                }
            }
        }

        fn on_message(&mut self, i: usize, data: Vec<u8>) {
            let now = Instant::now();
            self.last_message = now;
            let c = &mut self.clients[i];
            if c.id == 0 {
                let id = <[u8; 4]>::try_from(data.as_slice()).map(i32::from_le_bytes).unwrap_or(0);
                if id < 2 {
                    return self.drop_client(i, "first message is not a peer ID");
                }
                c.id = id;
                c.joined_at = now.saturating_duration_since(self.task_start).as_secs_f64();
                self.counters.joined += 1;
                return;
            }
            self.counters.messages += 1;
            let p = &self.packets;
            for index in 0..2 {
                if p.broadcast_receive[index].last() == Some(&data) {
                    if c.arrivals[index] == 0.0 {
                        c.arrivals[index] = wall_seconds();
                    }
                    return;
                }
            }
            let setup = &p.broadcast_receive[0];
            if setup.len() > 1 && setup[..setup.len() - 1].contains(&data) {
                let reply = p.broadcast_reply.clone();
                for packet in &reply {
                    self.send(i, packet);
                }
                return;
            }
            if p.call_first_receive.contains(&data) {
                c.confirmed = true;
                return;
            }
            self.counters.other += 1;
            if self.counters.other_samples.len() < 4 {
                let sample = hex(&data[..data.len().min(24)]);
                if !self.counters.other_samples.contains(&sample) {
                    self.counters.other_samples.push(sample);
                }
            }
        }

        /// Queues one binary message and writes what the socket takes; false when not open.
        fn send(&mut self, i: usize, data: &[u8]) -> bool {
            let Phase::Open(conn) = &mut self.clients[i].phase else { return false };
            if conn.send(false, data).is_err() {
                return false;
            }
            self.flush(i);
            true
        }

        fn flush(&mut self, i: usize) {
            let c = &mut self.clients[i];
            let (Phase::Open(conn), Some(stream)) = (&mut c.phase, c.stream.as_mut()) else { return };
            loop {
                let out = conn.pending_output();
                if out.is_empty() {
                    return;
                }
                match stream.write(out) {
                    Ok(n) => conn.consume_output(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return self.drop_client(i, &format!("write: {}", error_kind(&e))),
                }
            }
        }

        fn random_bytes(&mut self) -> [u8; 16] {
            random16(&mut self.rng)
        }
    }

    fn is_open(c: &Client) -> bool {
        matches!(c.phase, Phase::Open(_))
    }

    /// Far above anything the benchmark's server sends: this side never pushes back.
    fn loadgen_limits() -> Limits {
        Limits {
            max_message_size: 1 << 20,
            max_inbound_buffered: 1 << 24,
            max_queued_messages: 1 << 20,
            max_outbound_buffered: None,
            ..Limits::default()
        }
    }

    /// Handshake keys and masks need no strength here: xorshift64*.
    fn random16(state: &mut u64) -> [u8; 16] {
        let mut out = [0u8; 16];
        for half in out.chunks_mut(8) {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            half.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        out
    }

    fn read_packets(path: &str) -> Result<Packets, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--packets {path}: {e}"))?;
        let mut p = Packets::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut words = line.split_whitespace();
            let key = words.next().unwrap_or("");
            let values: Vec<Vec<u8>> =
                words.map(unhex).collect::<Option<_>>().ok_or_else(|| format!("{path}: bad hex in '{key}'"))?;
            match key {
                "broadcast_first_receive" => p.broadcast_receive[0] = values,
                "broadcast_first_reply" => p.broadcast_reply = values,
                "broadcast_steady_receive" => p.broadcast_receive[1] = values,
                "call_first_send" => p.call_first_send = values,
                "call_first_receive" => p.call_first_receive = values,
                "call_steady_send" => p.call_steady_send = values.into_iter().next().unwrap_or_default(),
                _ => return Err(format!("{path}: unknown key '{key}'")),
            }
        }
        if p.broadcast_receive.iter().any(Vec::is_empty)
            || p.call_first_send.is_empty()
            || p.call_steady_send.is_empty()
        {
            return Err(format!("{path}: missing packets (broadcast_*_receive, call_first_send, call_steady_send)"));
        }
        Ok(p)
    }

    fn unhex(s: &str) -> Option<Vec<u8>> {
        if !s.len().is_multiple_of(2) {
            return None;
        }
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
    }

    fn hex(data: &[u8]) -> String {
        data.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn raise_fd_limit(wanted: u64) -> Result<(), String> {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: plain syscalls on a local struct.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return Err(format!("getrlimit: {}", io::Error::last_os_error()));
            }
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
        if limit.rlim_cur < wanted {
            return Err(format!(
                "the descriptor limit (RLIMIT_NOFILE hard limit {}) is below the {wanted} this many clients need",
                limit.rlim_max
            ));
        }
        Ok(())
    }

    fn set_nonblocking(fd: i32) -> Result<(), String> {
        // SAFETY: plain fcntl calls on a descriptor we were given.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
                return Err(format!("stdin: {}", io::Error::last_os_error()));
            }
        }
        Ok(())
    }

    fn add_to_epoll(epoll: i32, fd: i32, token: u64, flags: u32) -> io::Result<()> {
        let mut event = libc::epoll_event { events: flags, u64: token };
        // SAFETY: valid descriptors and event.
        if unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The error's kind, so that failure counts group (no addresses or numbers in them).
    fn error_kind(e: &io::Error) -> String {
        match e.raw_os_error() {
            Some(code) => {
                let text = io::Error::from_raw_os_error(code).to_string();
                text.split(" (os error").next().unwrap_or(&text).to_string()
            }
            None => format!("{:?}", e.kind()),
        }
    }

    fn cpu_seconds() -> f64 {
        // SAFETY: getrusage fills the struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        tv(usage.ru_utime) + tv(usage.ru_stime)
    }

    fn rss_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }

    fn wall_seconds() -> f64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
    }

    fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
        if sorted.is_empty() {
            return None;
        }
        let index = ((sorted.len() - 1) as f64 * q).round() as usize;
        Some(sorted[index])
    }

    fn json_f64(x: Option<f64>) -> String {
        match x {
            Some(v) if v.is_finite() => format!("{v:.6}"),
            _ => "null".into(),
        }
    }

    fn json_str(s: &str) -> String {
        let mut out = String::from("\"");
        for ch in s.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

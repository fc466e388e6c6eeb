# Happy Eyeballs through the real engine: how long RustWebSocketPeer and the engine's
# WebSocketPeer stay CONNECTING for host names whose IPv6 or IPv4 address never
# answers. Not a test file (not named test_*): tests/happy-eyeballs/run starts the
# servers, puts the names in a private /etc/hosts and runs this with
#   -- --ports=v6-hangs=P,v4-hangs=P,all-hang=P [--pass=TEXT]
# Only our class's figures are asserted; the engine's are printed beside them.
extends SceneTree

const TIMEOUT_SETTING := "network/limits/tcp/connect_timeout_seconds"
## The connect timeout for the all-hang case: short, so the run stays short.
const ALL_HANG_TIMEOUT_S := 2
## The longest wait for either class: the engine may wait its full timeout per address.
const WAIT_S := 15.0
## Ours must open this soon when one address hangs (the race's delay is 0.25 s).
const OPEN_WITHIN_S := 0.5
const ATTEMPT_DELAY_S := 0.25
const CASES := ["v6-hangs", "v4-hangs", "all-hang"]
const HANGING := {"v6-hangs": ["::1"], "v4-hangs": ["127.0.0.1"], "all-hang": ["::1", "127.0.0.1"]}
const STATES := ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]

var passed := 0
var failed := 0


func _initialize() -> void:
	_run.call_deferred()


func _check(ok: bool, what: String) -> void:
	if ok:
		passed += 1
	else:
		failed += 1
		print("FAIL: ", what)


func _args() -> Dictionary:
	var args := {}
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--") and arg.contains("="):
			args[arg.substr(2).get_slice("=", 0)] = arg.substr(arg.find("=") + 1)
	return args


func _failure_name(kind: int) -> String:
	for name in ClassDB.class_get_enum_constants("RustWebSocketPeer", "FailureKind"):
		if ClassDB.class_get_integer_constant("RustWebSocketPeer", name) == kind:
			return name
	return str(kind)


## Starts both classes on `url` at once and polls every frame until each leaves
## CONNECTING or WAIT_S passes. For each: {state, seconds[, kind, reason]}.
func _measure(url: String) -> Array:
	var clients := [RustWebSocketPeer.new(), WebSocketPeer.new()]
	var results := [{}, {}]
	var starts := [0, 0]
	for i in 2:
		starts[i] = Time.get_ticks_usec()
		var err: Error = clients[i].connect_to_url(url)
		if err != OK:
			results[i] = {"state": "connect_to_url: " + error_string(err), "seconds": 0.0}
	while true:
		var pending := false
		for i in 2:
			if not results[i].is_empty():
				continue
			clients[i].poll()
			var state: int = clients[i].get_ready_state()
			var seconds: float = (Time.get_ticks_usec() - starts[i]) / 1e6
			if state != WebSocketPeer.STATE_CONNECTING:
				results[i] = {"state": STATES[state], "seconds": seconds}
				if i == 0:
					results[i]["kind"] = clients[0].get_failure_kind()
					results[i]["reason"] = clients[0].get_failure_reason()
			elif seconds >= WAIT_S:
				results[i] = {"state": "still CONNECTING", "seconds": seconds}
			else:
				pending = true
		if not pending:
			break
		await process_frame
	for client in clients:
		client.close()
	return results


func _cell(result: Dictionary) -> String:
	if result["state"] == "still CONNECTING":
		return "still CONNECTING after %d s" % int(WAIT_S)
	var text := "%s after %.3f s" % [result["state"], result["seconds"]]
	if result.get("kind", RustWebSocketPeer.FAILURE_NONE) != RustWebSocketPeer.FAILURE_NONE:
		text += " (%s)" % _failure_name(result["kind"])
	return text


func _run() -> void:
	Engine.max_fps = 1000  # a poll about every millisecond, without spinning a core
	var args := _args()
	var ports := {}
	for item in args.get("ports", "").split(",", false):
		ports[item.get_slice("=", 0)] = int(item.get_slice("=", 1))
	var default_timeout: int = ProjectSettings.get_setting(TIMEOUT_SETTING, 30)
	var rows := []
	for case in CASES:
		if not ports.has(case):
			_check(false, "no port given for " + case)
			continue
		var host: String = case + ".he.test"
		# The resolver's order, as both classes get it (the engine's resolver asks the same glibc).
		var order := PackedStringArray()
		for ip in IP.resolve_hostname_addresses(host):
			order.append("::1" if ip == "0:0:0:0:0:0:0:1" else ip)  # Godot spells ::1 out in full
		var timeout_s: int = ALL_HANG_TIMEOUT_S if case == "all-hang" else default_timeout
		ProjectSettings.set_setting(TIMEOUT_SETTING, timeout_s)
		var results: Array = await _measure("ws://%s:%d/" % [host, ports[case]])
		ProjectSettings.set_setting(TIMEOUT_SETTING, default_timeout)
		var ours: Dictionary = results[0]
		rows.append([case, ", ".join(order), ", ".join(PackedStringArray(HANGING[case])), "%d s" % timeout_s, _cell(ours), _cell(results[1])])
		_check(order.size() == 2, "%s resolves to both loopbacks: %s" % [host, order])
		if case == "all-hang":
			var ok: bool = ours["state"] == "CLOSED" and ours["seconds"] <= timeout_s + 1.0
			_check(ok, "ours: all-hang CLOSED within %d s + 1 s: %s" % [timeout_s, _cell(ours)])
			_check(ours["seconds"] >= timeout_s - 0.05, "ours: all-hang gave up at the timeout, not before: %s" % _cell(ours))
			_check(ours.get("kind", -1) == RustWebSocketPeer.FAILURE_TIMEOUT,
				"ours: all-hang failure kind FAILURE_TIMEOUT, got %s (%s)" % [_failure_name(ours.get("kind", -1)), ours.get("reason", "")])
		else:
			_check(ours["state"] == "OPEN" and ours["seconds"] < OPEN_WITHIN_S,
				"ours: %s OPEN within %.1f s: %s %s" % [case, OPEN_WITHIN_S, _cell(ours), ours.get("reason", "")])
			# When the resolver lists the hanging address first, ours must have waited for it:
			# otherwise the black hole did not hang and the case proved nothing.
			if order.size() > 0 and order[0] in HANGING[case]:
				_check(ours["seconds"] >= ATTEMPT_DELAY_S, "ours: %s waited %.2f s for the hanging %s first: %s" % [case, ATTEMPT_DELAY_S, order[0], _cell(ours)])
	var pass_name: String = args.get("pass", "")
	print("")
	print("Happy Eyeballs %s: time from connect_to_url() to leaving CONNECTING" % pass_name)
	var header := ["case", "resolver order", "hangs", "timeout", "RustWebSocketPeer", "WebSocketPeer (engine)"]
	var widths := [10, 18, 18, 8, 38, 30]
	for row in [header] + rows:
		var line := ""
		for c in row.size():
			line += str(row[c]).rpad(widths[c]) + "  "
		print(line.strip_edges(false, true))
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 else 0)

# RustWebSocketPeer exposes exactly the engine WebSocketPeer's API: methods
# (argument names, types, enum classes, defaults, return types, const-ness),
# properties (with their ClassDB defaults), enums and their values. Its only
# additions are the failure API, compression_enabled, the proxy and load-balancer settings below.
extends "res://tests/test_case.gd"

const ENGINE := "WebSocketPeer"
const OURS := "RustWebSocketPeer"
const Signatures := preload("res://tests/signatures.gd")
## Members the engine's class does not have: why a connection failed.
const ADDED_METHODS := [
	"get_failure_kind", "get_failure_reason", "get_handshake_status", "get_compression_enabled", "set_compression_enabled",
	"get_negotiated_extensions", "get_proxy_url", "set_proxy_url", "get_proxy_from_environment", "set_proxy_from_environment",
	"get_trusted_proxies", "set_trusted_proxies", "get_health_check_path", "set_health_check_path",
]
## permessage-deflate, off by default; no proxy by default, as the engine.
var ADDED_PROPERTIES := {
	"compression_enabled": false, "proxy_url": "", "proxy_from_environment": false,
	"trusted_proxies": PackedStringArray(), "health_check_path": "",
}
const ADDED_ENUMS := ["FailureKind"]


## One comparable line per method, with our class name mapped to the engine's.
func _method_signatures(cls: String) -> Dictionary:
	return Signatures.of(cls, {OURS + ".": ENGINE + "."})


func test_methods_match_the_engine() -> void:
	var engine := _method_signatures(ENGINE)
	var ours := _method_signatures(OURS)
	check_eq(engine.size(), 28, "the engine's method count (reference)")
	for name in engine:
		if check(ours.has(name), "method %s exists" % name):
			check_eq(ours[name], engine[name], "signature of %s" % name)
	for name in ours:
		check(engine.has(name) or name in ADDED_METHODS, "no extra method %s" % name)
	for name in ADDED_METHODS:
		check(ours.has(name), "added method %s exists" % name)


func test_enums_match_the_engine() -> void:
	for enum_name in ["State", "WriteMode"]:
		check(ClassDB.class_has_enum(OURS, enum_name, true), "enum %s registered" % enum_name)
		var expected := ClassDB.class_get_enum_constants(ENGINE, enum_name, true)
		check_eq(ClassDB.class_get_enum_constants(OURS, enum_name, true), expected, "constants of %s" % enum_name)
		for constant in expected:
			check_eq(ClassDB.class_get_integer_constant(OURS, constant), ClassDB.class_get_integer_constant(ENGINE, constant), "value of %s" % constant)
			check_eq(ClassDB.class_get_integer_constant_enum(OURS, constant, true), enum_name, "enum of %s" % constant)
	check_eq(RustWebSocketPeer.STATE_CLOSED, 3, "RustWebSocketPeer.STATE_CLOSED")
	check_eq(RustWebSocketPeer.WRITE_MODE_TEXT, 0, "RustWebSocketPeer.WRITE_MODE_TEXT")
	var st: RustWebSocketPeer.State = RustWebSocketPeer.new().get_ready_state()
	check_eq(st, RustWebSocketPeer.State.STATE_CLOSED, "typed State variable")
	var extra := Array(ClassDB.class_get_enum_list(OURS, true))
	for enum_name in ClassDB.class_get_enum_list(ENGINE, true):
		extra.erase(enum_name)
	check_eq(extra, ADDED_ENUMS, "enums beyond the engine's")


func test_properties_match_the_engine() -> void:
	var engine := {}
	for p in ClassDB.class_get_property_list(ENGINE, true):
		engine[p["name"]] = p
	var ours := {}
	for p in ClassDB.class_get_property_list(OURS, true):
		ours[p["name"]] = p
	check_eq(ours.keys().size(), engine.keys().size() + ADDED_PROPERTIES.size(), "property count")
	for name in ADDED_PROPERTIES:
		check(ours.has(name), "added property %s exists" % name)
		check_eq(ClassDB.class_get_property_default_value(OURS, name), ADDED_PROPERTIES[name], "ClassDB default of %s" % name)
	for name in engine:
		if not check(ours.has(name), "property %s exists" % name):
			continue
		check_eq(ClassDB.class_get_property_setter(OURS, name), ClassDB.class_get_property_setter(ENGINE, name), "setter of %s" % name)
		check_eq(ClassDB.class_get_property_getter(OURS, name), ClassDB.class_get_property_getter(ENGINE, name), "getter of %s" % name)
		# Deliberate difference: the engine registers heartbeat_interval as INT
		# although its getter and setter use float; ours is FLOAT, as documented.
		var expected_type: int = TYPE_FLOAT if name == "heartbeat_interval" else engine[name]["type"]
		check_eq(ours[name]["type"], expected_type, "type of %s" % name)
		check_eq(ours[name]["usage"], engine[name]["usage"], "usage of %s" % name)
		# ClassDB computes defaults from a fresh instance's stored properties.
		var expected_default = ClassDB.class_get_property_default_value(ENGINE, name)
		check(expected_default != null, "the engine has a ClassDB default for %s" % name)
		check_eq(ClassDB.class_get_property_default_value(OURS, name), expected_default, "ClassDB default of %s" % name)


func test_defaults_match_a_fresh_engine_peer() -> void:
	var engine := WebSocketPeer.new()
	var ours := RustWebSocketPeer.new()
	for name in ["supported_protocols", "handshake_headers", "inbound_buffer_size", "outbound_buffer_size", "max_queued_packets", "heartbeat_interval"]:
		check_eq(ours.get(name), engine.get(name), "default %s" % name)
	for getter in ["get_ready_state", "get_close_code", "get_close_reason", "get_requested_url", "get_selected_protocol", "was_string_packet", "get_available_packet_count", "get_current_outbound_buffered_amount"]:
		check_eq(ours.call(getter), engine.call(getter), "fresh %s()" % getter)
	check_eq(ours.encode_buffer_max_size, engine.encode_buffer_max_size, "inherited encode_buffer_max_size")


func test_setters_behave_like_the_engine() -> void:
	for cls in [WebSocketPeer, RustWebSocketPeer]:
		var p = cls.new()
		p.supported_protocols = [" p1 ", "p2"]
		check_eq(p.get_supported_protocols(), PackedStringArray(["p1", "p2"]), "%s trims protocols" % cls)
		p.set_inbound_buffer_size(1000)
		check_eq(p.inbound_buffer_size, 1000, "inbound setter")
		p.outbound_buffer_size = 0
		check_eq(p.get_outbound_buffer_size(), 0, "outbound 0 (unlimited)")
		p.heartbeat_interval = 0.0015
		check_eq(p.heartbeat_interval, 0.001, "heartbeat stored in whole milliseconds")
		p.set("max_queued_packets", 12)
		check_eq(p.get("max_queued_packets"), 12, "Object.set/get by name")

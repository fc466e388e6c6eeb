# RustWebSocketMultiplayerPeer exposes exactly the engine WebSocketMultiplayerPeer's
# API: methods (argument names, types, defaults, return types, const-ness),
# properties with their ClassDB defaults, and the settings' behaviour. Its only
# additions are the proxy and load-balancer settings below.
extends "res://tests/test_case.gd"

const ENGINE := "WebSocketMultiplayerPeer"
const OURS := "RustWebSocketMultiplayerPeer"
const Signatures := preload("res://tests/signatures.gd")
## A client's proxy (none by default, as the engine); a server's load balancers and health path.
var ADDED_PROPERTIES := {
	"proxy_url": "", "proxy_from_environment": false, "trusted_proxies": PackedStringArray(), "health_check_path": "",
}
const ADDED_METHODS := [
	"get_proxy_url", "set_proxy_url", "get_proxy_from_environment", "set_proxy_from_environment",
	"get_trusted_proxies", "set_trusted_proxies", "get_health_check_path", "set_health_check_path",
]
const SETTINGS := ["supported_protocols", "handshake_headers", "inbound_buffer_size", "outbound_buffer_size", "handshake_timeout", "max_queued_packets"]


## One comparable line per method; our class names are mapped to the engine's.
func _method_signatures(cls: String) -> Dictionary:
	return Signatures.of(cls, {OURS: ENGINE, "RustWebSocketPeer": "WebSocketPeer"})


func test_methods_match_the_engine() -> void:
	var engine := _method_signatures(ENGINE)
	var ours := _method_signatures(OURS)
	check_eq(engine.size(), 17, "the engine's method count (reference)")
	for name in engine:
		if check(ours.has(name), "method %s exists" % name):
			check_eq(ours[name], engine[name], "signature of %s" % name)
	for name in ours:
		check(engine.has(name) or name in ADDED_METHODS, "no extra method %s" % name)
	for name in ADDED_METHODS:
		check(ours.has(name), "added method %s exists" % name)


func test_properties_and_defaults_match_the_engine() -> void:
	var engine := {}
	for p in ClassDB.class_get_property_list(ENGINE, true):
		engine[p["name"]] = p
	var ours := {}
	for p in ClassDB.class_get_property_list(OURS, true):
		ours[p["name"]] = p
	check_eq(ours.keys(), engine.keys() + ADDED_PROPERTIES.keys(), "properties")
	for name in ADDED_PROPERTIES:
		check_eq(ClassDB.class_get_property_default_value(OURS, name), ADDED_PROPERTIES[name], "ClassDB default of %s" % name)
	for name in SETTINGS:
		if not check(ours.has(name), "property %s exists" % name):
			continue
		for key in ["type", "usage", "hint"]:
			check_eq(ours[name][key], engine[name][key], "%s of %s" % [key, name])
		check_eq(ClassDB.class_get_property_default_value(OURS, name), ClassDB.class_get_property_default_value(ENGINE, name), "ClassDB default of %s" % name)
		check_eq(RustWebSocketMultiplayerPeer.new().get(name), WebSocketMultiplayerPeer.new().get(name), "fresh %s" % name)


func test_inherited_api_matches_a_fresh_engine_peer() -> void:
	var engine := WebSocketMultiplayerPeer.new()
	var ours := RustWebSocketMultiplayerPeer.new()
	check(ours is MultiplayerPeer, "a MultiplayerPeer")
	for getter in ["get_connection_status", "get_unique_id", "is_refusing_new_connections", "is_server_relay_supported", "get_transfer_channel", "get_transfer_mode", "get_available_packet_count"]:
		check_eq(ours.call(getter), engine.call(getter), "fresh %s()" % getter)
	for p in [engine, ours]:
		p.transfer_mode = MultiplayerPeer.TRANSFER_MODE_UNRELIABLE
		p.transfer_channel = 3
		p.refuse_new_connections = true
	for getter in ["get_transfer_channel", "get_transfer_mode", "is_refusing_new_connections"]:
		check_eq(ours.call(getter), engine.call(getter), "%s() after setting" % getter)


func test_setters_behave_like_the_engine() -> void:
	for cls in [WebSocketMultiplayerPeer, RustWebSocketMultiplayerPeer]:
		var p = cls.new()
		p.supported_protocols = [" p1 ", "p2"]
		check_eq(p.get_supported_protocols(), PackedStringArray(["p1", "p2"]), "%s trims protocols" % cls)
		p.handshake_timeout = 1.5
		check_eq(p.handshake_timeout, 1.5, "handshake_timeout")
		p.set("max_queued_packets", 12)
		check_eq(p.get("max_queued_packets"), 12, "Object.set/get by name")
		p.outbound_buffer_size = 1000
		check_eq(p.outbound_buffer_size, 1000, "outbound_buffer_size")

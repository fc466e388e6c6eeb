# A TLS WebSocket server on loopback: the engine does TLS (StreamPeerTLS with a
# certificate made by Crypto, as a game would), a peer of the given class does
# WebSocket over it.
extends RefCounted

static var _key: CryptoKey
static var _cert: X509Certificate

var tcp := TCPServer.new()
var peer
var port := 0


## One RSA key and self-signed certificate (CN=localhost, no SAN, CA:TRUE) for the whole run.
static func credentials() -> Array:
	if _key == null:
		var crypto := Crypto.new()
		_key = crypto.generate_rsa(2048)
		_cert = crypto.generate_self_signed_certificate(_key, "CN=localhost,O=websocket_rs test,C=US")
	return [_key, _cert]


func start(test, server_cls, setup := Callable()) -> void:
	test.own(tcp)
	tcp.listen(0, "127.0.0.1")
	port = tcp.get_local_port()
	peer = test.own(server_cls.new())
	if setup.is_valid():
		setup.call(peer)


## Call every frame: hands the first connection, wrapped in TLS, to the peer.
func poll() -> void:
	if tcp.is_connection_available():
		var tls := StreamPeerTLS.new()
		var creds := credentials()
		tls.accept_stream(tcp.take_connection(), TLSOptions.server(creds[0], creds[1]))
		peer.accept_stream(tls)
	peer.poll()

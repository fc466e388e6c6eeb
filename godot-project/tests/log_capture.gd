# Records what our classes (RustWebSocketPeer, RustWebSocketMultiplayerPeer) log while
# installed (OS.add_logger), so tests
# can assert the logging rule: errors only for programmer errors, at most one
# warning per failed connection, located at the class method.
extends Logger

const ERROR := 0
const WARNING := 1

var _lock := Mutex.new()
## [error_type, function, text] of each line from our class.
var _lines: Array = []


func _log_error(function: String, _file: String, _line: int, code: String, rationale: String,
		_editor_notify: bool, error_type: int, _script_backtraces: Array[ScriptBacktrace]) -> void:
	var text := code if rationale == "" else "%s: %s" % [code, rationale]
	if function.begins_with("RustWebSocket") or text.contains("RustWebSocket"):
		_lock.lock()
		_lines.append([error_type, function, text])
		_lock.unlock()


func _log_message(_message: String, _error: bool) -> void:
	pass


## Lines of `error_type` (ERROR or WARNING), as "function: text".
func lines(error_type: int) -> PackedStringArray:
	var out := PackedStringArray()
	_lock.lock()
	for entry in _lines:
		if entry[0] == error_type:
			out.append("%s | %s" % [entry[1], entry[2]])
	_lock.unlock()
	return out


func clear() -> void:
	_lock.lock()
	_lines.clear()
	_lock.unlock()

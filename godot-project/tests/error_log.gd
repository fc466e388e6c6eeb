# Collects the engine's error lines (and push_error/printerr) while installed,
# so a test can assert that an operation printed none. Loggers may be called
# from any thread.
extends Logger

var _lines: PackedStringArray = []
var _mutex := Mutex.new()


## Starts collecting.
func install() -> void:
	OS.add_logger(self)


func uninstall() -> void:
	OS.remove_logger(self)


func _log_error(function: String, _file: String, _line: int, code: String, rationale: String,
		_editor_notify: bool, _error_type: int, _script_backtrace: Array[ScriptBacktrace]) -> void:
	_mutex.lock()
	_lines.append("%s: %s %s" % [function, code, rationale])
	_mutex.unlock()


func _log_message(message: String, error: bool) -> void:
	if error:
		_mutex.lock()
		_lines.append(message.strip_edges())
		_mutex.unlock()


## The error lines collected so far.
func lines() -> PackedStringArray:
	_mutex.lock()
	var copy := _lines.duplicate()
	_mutex.unlock()
	return copy

# Collects the engine's error lines (and push_error/printerr) while installed,
# so a test can assert that an operation printed none; warnings are kept apart.
# Loggers may be called from any thread.
extends Logger

var _lines: PackedStringArray = []
var _warnings: PackedStringArray = []
var _mutex := Mutex.new()


## Starts collecting.
func install() -> void:
	OS.add_logger(self)


func uninstall() -> void:
	OS.remove_logger(self)


func _log_error(function: String, _file: String, _line: int, code: String, rationale: String,
		_editor_notify: bool, error_type: int, _script_backtrace: Array[ScriptBacktrace]) -> void:
	_mutex.lock()
	var line := "%s: %s %s" % [function, code, rationale]
	if error_type == ERROR_TYPE_WARNING:
		_warnings.append(line)
	else:
		_lines.append(line)
	_mutex.unlock()


func _log_message(message: String, error: bool) -> void:
	if error:
		_mutex.lock()
		_lines.append(message.strip_edges())
		_mutex.unlock()


## The warnings collected so far.
func warnings() -> PackedStringArray:
	_mutex.lock()
	var copy := _warnings.duplicate()
	_mutex.unlock()
	return copy


## The error lines collected so far.
func lines() -> PackedStringArray:
	_mutex.lock()
	var copy := _lines.duplicate()
	_mutex.unlock()
	return copy

/**
 * onnxruntime-node ships Microsoft's telemetry SDK: unless told otherwise, every process
 * that creates an ONNX Runtime environment writes events to
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db (plus a device id), an
 * empty $TMPDIR/mat-debug-<pid>.log, and holds a collector URL to upload them to. sway
 * promises no network at run time, so this module turns it off; it must be imported
 * before onnxruntime-node (the library reads the variable when it starts).
 * ORT_DISABLE_TELEMETRY is the switch the library itself checks (found in its binary's
 * strings, verified by running it with HOME and TMPDIR pointed at empty folders).
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1';

export {};

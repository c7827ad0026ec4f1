// The libFuzzer harness: one binary, every parser of TrainscapeIO (`ParserEntryPoints`).
// Built only by scripts/fuzz.sh (TRAINSCAPE_FUZZ=1, -sanitize=fuzzer,address, its own
// scratch path), never by a plain `swift build`.
//
// SwiftPM renames an executable's `main` (tests link executables), so libFuzzer's own main is
// not used: this main picks the entry named by TRAINSCAPE_FUZZ_TARGET and hands libFuzzer the
// command line through LLVMFuzzerRunDriver. An entry that reports a difference (a differential
// entry: whole vs. split decode) traps, so libFuzzer keeps the input as a crash.
import Foundation
import TrainscapeIO

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

let name = ProcessInfo.processInfo.environment["TRAINSCAPE_FUZZ_TARGET"] ?? ""
guard ParserEntryPoints.entry(name) != nil else {
  let names = ParserEntryPoints.all.map(\.name).joined(separator: ", ")
  FileHandle.standardError.write(Data("TrainscapeFuzz: set TRAINSCAPE_FUZZ_TARGET to one of: \(names)\n".utf8))
  exit(2)
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = size > 0 ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let target = ProcessInfo.processInfo.environment["TRAINSCAPE_FUZZ_TARGET"] ?? ""
    if let difference = ParserEntryPoints.entry(target)?(bytes) {
      fatalError("\(target): \(difference)")
    }
    return 0
  })

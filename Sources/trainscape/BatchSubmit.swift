import Foundation
import TrainscapeBatch
import TrainscapeIO

// MARK: - Submit

/// `batch --submit print|run`: the sbatch line for the array and the merge after it.
struct BatchSubmit {
  let plan: [String]
  let kinds: String?
  let outputs: String
  let output: String
  let jobs: [Job]
  let shards: Int?
  let jobsPerTask: Int
  let mode: SubmitMode

  func quote(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  func run() throws {
    let shardable = jobs.filter { $0.action != .assemble }.count
    let n = max(1, shards ?? (shardable + jobsPerTask - 1) / jobsPerTask)
    let script = TestablePaths.sbatchTemplate
    var batchArgs: [String] = []
    if let kinds { batchArgs += ["--kinds", kinds, "--outputs", outputs] }
    batchArgs += plan
    // The tasks' logs go beside the batch's state: OUT/.batch/logs/.
    let logs = (output as NSString).appendingPathComponent(".batch/logs")
    do {
      try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    } catch {
      throw OutputError.cannotWrite(path: logs, reason: error.localizedDescription)
    }
    let array = [
      "sbatch", "--parsable", "--array=0-\(n - 1)", "--job-name=trainscape-batch", "--output=\(logs)/task-%A_%a.out",
      script, output,
    ] + batchArgs
    let mergeLine = [
      "sbatch", "--parsable", "--dependency=afterany:$ARRAY_JOB", "--job-name=trainscape-merge", "--output=\(logs)/merge-%j.out",
      "--wrap", "\(quote(TestablePaths.trainscapeCommand)) batch --merge \(quote(output))",
    ]
    switch mode {
    case .print:
      print("ARRAY_JOB=$(\(array.map(quote).joined(separator: " ")))")
      print(mergeLine.map { $0 == "--dependency=afterany:$ARRAY_JOB" ? "\"\($0)\"" : quote($0) }.joined(separator: " "))
      StandardStreams.writeError("trainscape: \(jobs.count) jobs in \(n) array tasks (\(shardable) sharded, about \(max(1, shardable / n)) per task)\n")
    case .run:
      let id = try sbatch(array)
      print(id)
      var m = mergeLine
      m[m.firstIndex(of: "--dependency=afterany:$ARRAY_JOB")!] = "--dependency=afterany:\(id)"
      print(try sbatch(m))
    }
  }

  func sbatch(_ argv: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let out = Pipe()
    p.standardOutput = out
    do { try p.run() } catch { throw CLIError("cannot run sbatch: \(error.localizedDescription)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw CLIError("sbatch failed (exit \(p.terminationStatus)): \(argv.joined(separator: " "))") }
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return String(text.split(separator: ";").first ?? "")
  }
}

/// Where the sbatch template and the binary are, for --submit.
enum TestablePaths {
  /// `$TRAINSCAPE_SBATCH`, else `scripts/slurm/trainscape-array.sbatch` next to a source
  /// checkout's binary (.build/<config>/trainscape), else under `share/trainscape/` beside an
  /// installed binary, else the relative path.
  static var sbatchTemplate: String {
    if let t = ProcessInfo.processInfo.environment["TRAINSCAPE_SBATCH"] { return t }
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let candidates = [
      exe.deletingLastPathComponent().appendingPathComponent("../../scripts/slurm/trainscape-array.sbatch"),
      exe.deletingLastPathComponent().appendingPathComponent("../../../scripts/slurm/trainscape-array.sbatch"),
      exe.deletingLastPathComponent().appendingPathComponent("../share/trainscape/slurm/trainscape-array.sbatch"),
    ].map { $0.standardizedFileURL.path }
    return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? "scripts/slurm/trainscape-array.sbatch"
  }

  /// The absolute path of this binary (the array tasks run the same one).
  static var trainscapeCommand: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
  }
}

import Crypto
import Foundation
import TrainscapeIO

/// SHA-256 of inputs and options, so a re-run knows what it may skip.
public enum Fingerprint {
  /// Hex SHA-256 of a file's bytes, read in 1 MiB blocks.
  public static func file(_ path: String) throws -> String {
    var h = SHA256()
    try feed(&h, path: path)
    return hex(h.finalize())
  }

  static func feed(_ h: inout SHA256, path: String) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw BatchIOError(path: path, message: "cannot read: \(String(cString: strerror(errno)))")
    }
    defer { try? handle.close() }
    while true {
      let block: Data
      do {
        block = try handle.read(upToCount: 1 << 20) ?? Data()
      } catch {
        throw BatchIOError(path: path, message: "read failed: \(error.localizedDescription)")
      }
      if block.isEmpty { break }
      h.update(data: block)
    }
  }

  /// The inputs' hash: for each path in order its bytes; a folder's files are hashed with their
  /// relative paths, in path order (hidden entries too: they are part of a run folder).
  public static func inputs(_ paths: [String]) throws -> String {
    var h = SHA256()
    for p in paths {
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
        throw BatchIOError(path: p, message: "no such file or directory")
      }
      if isDir.boolValue {
        let files = (FileManager.default.enumerator(atPath: p)?.allObjects as? [String] ?? []).sorted()
        for rel in files {
          let full = (p as NSString).appendingPathComponent(rel)
          var sub: ObjCBool = false
          _ = FileManager.default.fileExists(atPath: full, isDirectory: &sub)
          if sub.boolValue { continue }
          h.update(data: Data("\u{0}file \(rel)\u{0}".utf8))
          try feed(&h, path: full)
        }
      } else {
        h.update(data: Data("\u{0}input\u{0}".utf8))
        try feed(&h, path: p)
      }
    }
    return hex(h.finalize())
  }

  /// The options' hash: the kind, the output, the arguments, the frames and the version that
  /// made it; a new Trainscape version renders again.
  public static func options(_ job: Job, version: String) -> String {
    var parts = [version, job.kind, job.format.rawValue, job.action.rawValue, job.output]
    parts += job.arguments
    if let f = job.frames { parts.append("frames \(f.lower)..<\(f.upper) of \(f.total)") }
    parts += job.runs.map(\.name)
    return string(parts.joined(separator: "\u{0}"))
  }

  public static func string(_ s: String) -> String { hex(SHA256.hash(data: Data(s.utf8))) }
  public static func bytes(_ b: [UInt8]) -> String { hex(SHA256.hash(data: b)) }

  static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
  }
}

public struct BatchIOError: Error, CustomStringConvertible {
  public var path: String
  public var message: String
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }
  public var description: String { "\(Escape.controlCharacters(path)): \(message)" }
}

/// What happened to one job.
public struct JobRecord: Codable, Sendable, Equatable {
  public enum Status: String, Codable, Sendable { case done, failed }

  public var id: String
  public var status: Status
  public var inputHash: String
  public var optionsHash: String
  /// Files (or for parts: the folder) written, relative to the output folder.
  public var outputs: [String]
  /// SHA-256 of each output file (parts: none).
  public var outputHashes: [String]?
  /// The error, for a failed job (control characters escaped).
  public var error: String?
  public var seconds: Double
  /// "2/4", or "merge" for an assembly.
  public var shard: String
  public var host: String
  /// ISO 8601, UTC, with milliseconds.
  public var finishedAt: String

  public init(
    id: String, status: Status, inputHash: String, optionsHash: String, outputs: [String],
    outputHashes: [String]?, error: String?, seconds: Double, shard: String, host: String,
    finishedAt: String
  ) {
    self.id = id
    self.status = status
    self.inputHash = inputHash
    self.optionsHash = optionsHash
    self.outputs = outputs
    self.outputHashes = outputHashes
    self.error = error
    self.seconds = seconds
    self.shard = shard
    self.host = host
    self.finishedAt = finishedAt
  }

  enum CodingKeys: String, CodingKey {
    case id, status, outputs, error, seconds, shard, host
    case inputHash = "input_hash"
    case optionsHash = "options_hash"
    case outputHashes = "output_sha256"
    case finishedAt = "finished_at"
  }

  public static func now() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date())
  }
}

/// The manifest one shard writes (`OUT/.batch/shards/shard-0002-of-0004.json`), atomically,
/// at the end and every few seconds while it runs. A journal beside it
/// (`shard-0002-of-0004.jsonl`) gets one line per finished job as soon as it finishes, so a
/// task killed mid-way loses at most the job it was rendering.
public struct ShardManifest: Codable, Sendable {
  public var shard: Int
  public var shards: Int
  public var shardSource: String
  public var version: String
  /// SHA-256 of the ordered job ids of the whole plan: every shard must see the same list.
  public var jobListHash: String
  public var jobCount: Int
  public var host: String
  public var startedAt: String
  public var finishedAt: String?
  /// False while the shard runs (or when it was killed).
  public var complete: Bool
  public var done: Int
  public var skipped: Int
  public var failed: Int
  /// The latest record of each job this shard ran (skipped jobs keep their earlier record).
  public var records: [JobRecord]

  public init(
    shard: Int, shards: Int, shardSource: String, version: String, jobListHash: String, jobCount: Int,
    host: String, startedAt: String, finishedAt: String?, complete: Bool, done: Int, skipped: Int,
    failed: Int, records: [JobRecord]
  ) {
    self.shard = shard
    self.shards = shards
    self.shardSource = shardSource
    self.version = version
    self.jobListHash = jobListHash
    self.jobCount = jobCount
    self.host = host
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.complete = complete
    self.done = done
    self.skipped = skipped
    self.failed = failed
    self.records = records
  }

  enum CodingKeys: String, CodingKey {
    case shard, shards, version, host, complete, done, skipped, failed, records
    case shardSource = "shard_source"
    case jobListHash = "job_list_sha256"
    case jobCount = "job_count"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
  }

  public func jsonBytes() throws -> [UInt8] {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return [UInt8](try e.encode(self)) + [0x0A]
  }
}

/// The state folder of a batch output: `OUT/.batch/`.
public struct BatchState {
  public let output: String
  public init(output: String) { self.output = output }

  public var stateDirectory: String { (output as NSString).appendingPathComponent(".batch") }
  public var shardsDirectory: String { (stateDirectory as NSString).appendingPathComponent("shards") }
  public func manifestPath(_ spec: ShardSpec) -> String {
    (shardsDirectory as NSString).appendingPathComponent(spec.tag + ".json")
  }
  public func journalPath(_ spec: ShardSpec) -> String {
    (shardsDirectory as NSString).appendingPathComponent(spec.tag + ".jsonl")
  }
  public var mergeJournalPath: String { (shardsDirectory as NSString).appendingPathComponent("merge.jsonl") }

  public func path(_ relative: String) -> String { (output as NSString).appendingPathComponent(relative) }

  /// Every record in every shard's manifest and journal (and the merge's journal), and notes
  /// about lines that could not be read (a torn last line of a killed task).
  ///
  /// With `for: spec`, only the files a shard needs: its own, the merge's, and those of runs
  /// with another shard count (a batch re-run with a different N). With the same job list and
  /// N, a job's records are always in its own shard's files, so a task of a 1000-task array
  /// opens a few files instead of 2000 on the shared file system.
  public func allRecords(for spec: ShardSpec? = nil) -> (records: [JobRecord], manifests: [ShardManifest], notes: [String]) {
    var records: [JobRecord] = []
    var manifests: [ShardManifest] = []
    var notes: [String] = []
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: shardsDirectory)) ?? []).sorted()
    let decoder = JSONDecoder()
    for name in names where !name.hasPrefix(".") {
      // Another shard of the same count: not this shard's jobs.
      if let spec, name.hasPrefix("shard-"), name.contains("-of-\(spec.tag.suffix(4)).json"), !name.hasPrefix(spec.tag + ".") {
        continue
      }
      let p = (shardsDirectory as NSString).appendingPathComponent(name)
      guard let data = FileManager.default.contents(atPath: p) else { continue }
      if name.hasSuffix(".json") {
        do {
          let m = try decoder.decode(ShardManifest.self, from: data)
          manifests.append(m)
          records += m.records
        } catch {
          notes.append("\(p): not a shard manifest (\(error)); its journal is used instead")
        }
      } else if name.hasSuffix(".jsonl") {
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() where !line.isEmpty {
          if let r = try? decoder.decode(JobRecord.self, from: Data(line)) {
            records.append(r)
          } else {
            notes.append("\(p):\(n + 1): unreadable journal line ignored (a task killed while writing it?)")
          }
        }
      }
    }
    return (records, manifests, notes)
  }

  /// Appends one record to a journal as a single write (one line).
  public static func append(_ record: JobRecord, to journal: String) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var line = try e.encode(record)
    line.append(0x0A)
    let fd = open(journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard fd >= 0 else {
      throw OutputError.cannotWrite(path: journal, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == line.count else {
      throw OutputError.cannotWrite(path: journal, reason: written < 0 ? String(cString: strerror(errno)) : "short write")
    }
  }
}

/// What is known of each job: the records that still hold (inputs and options unchanged,
/// outputs present) and the latest failure.
public struct RecordIndex {
  public var valid: [String: JobRecord] = [:]
  public var failed: [String: JobRecord] = [:]
  public var latest: [String: JobRecord] = [:]

  public init(records: [JobRecord]) {
    // Latest first by time; equal times keep file order (later wins).
    for r in records {
      if let old = latest[r.id], old.finishedAt > r.finishedAt { continue }
      latest[r.id] = r
    }
    for r in records where r.status == .done {
      if let old = valid[r.id], old.finishedAt > r.finishedAt { continue }
      valid[r.id] = r
    }
    for (id, r) in latest where r.status == .failed { failed[id] = r }
  }

  /// A done record with these hashes whose outputs all exist.
  public func done(_ id: String, inputHash: String, optionsHash: String, outputExists: (String) -> Bool) -> JobRecord? {
    guard let r = valid[id], r.inputHash == inputHash, r.optionsHash == optionsHash,
      !r.outputs.isEmpty, r.outputs.allSatisfy(outputExists)
    else { return nil }
    // A later failure with the same inputs wins over an older success only if the output is
    // gone; the output exists here, so the success stands.
    return r
  }

  /// The latest failure with these hashes (a job that would fail again the same way).
  public func failure(_ id: String, inputHash: String, optionsHash: String) -> JobRecord? {
    guard let r = failed[id], r.inputHash == inputHash, r.optionsHash == optionsHash else { return nil }
    return r
  }
}

public enum JobList {
  /// SHA-256 of the ordered job ids.
  public static func hash(_ jobs: [Job]) -> String {
    Fingerprint.string(jobs.map(\.id).joined(separator: "\n"))
  }
}

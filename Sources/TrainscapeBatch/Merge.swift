import Foundation
import TrainscapeIO

/// One job's line in the merged manifest.
public struct MergedEntry: Codable, Sendable, Equatable {
  public enum Status: String, Codable, Sendable { case done, failed, missing }
  public var index: Int
  public var id: String
  public var kind: String
  public var format: String
  public var action: String
  public var runs: [String]
  public var inputs: [String]
  public var status: Status
  public var outputs: [String]
  public var outputHashes: [String]?
  public var inputHash: String?
  public var optionsHash: String?
  public var seconds: Double?
  public var shard: String?
  public var host: String?
  public var finishedAt: String?
  public var error: String?

  enum CodingKeys: String, CodingKey {
    case index, id, kind, format, action, runs, inputs, status, outputs, seconds, shard, host, error
    case outputHashes = "output_sha256"
    case inputHash = "input_hash"
    case optionsHash = "options_hash"
    case finishedAt = "finished_at"
  }
}

/// `OUT/manifest.json`: every job of the plan once, in plan order, with what happened to it.
public struct MergedManifest: Codable, Sendable {
  public var version: String
  public var jobListHash: String
  public var jobCount: Int
  public var done: Int
  public var failed: Int
  public var missing: Int
  public var shardManifests: [String]
  public var jobs: [MergedEntry]

  enum CodingKeys: String, CodingKey {
    case version, done, failed, missing, jobs
    case jobListHash = "job_list_sha256"
    case jobCount = "job_count"
    case shardManifests = "shard_manifests"
  }

  public static let fileName = "manifest.json"

  public func jsonBytes() throws -> [UInt8] {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return [UInt8](try e.encode(self)) + [0x0A]
  }

  public static func read(path: String) throws -> MergedManifest {
    guard let d = FileManager.default.contents(atPath: path) else {
      throw BatchIOError(path: path, message: "cannot read")
    }
    return try JSONDecoder().decode(MergedManifest.self, from: d)
  }
}

/// The status of every job from the shards' records: done (a record whose input and options
/// hashes match and whose outputs exist), failed (the latest record is a failure with the same
/// hashes), or missing.
public enum BatchStatus {
  public struct Checked {
    public var job: Job
    public var inputHash: String
    public var optionsHash: String
    public var done: JobRecord?
    public var failure: JobRecord?
    public var status: MergedEntry.Status { done != nil ? .done : failure != nil ? .failed : .missing }
  }

  /// Hashes each job's inputs (each distinct input list once) and looks its records up.
  /// An input that cannot be read makes the job missing with that error.
  public static func check(
    jobs: [Job], index: RecordIndex, state: BatchState, version: String
  ) -> [Checked] {
    var hashes: [[String]: String] = [:]
    return jobs.map { job in
      let key = job.inputPaths
      let ih: String
      if let h = hashes[key] {
        ih = h
      } else {
        ih = (try? Fingerprint.inputs(key)) ?? "unreadable"
        hashes[key] = ih
      }
      let oh = Fingerprint.options(job, version: version)
      let done = index.done(job.id, inputHash: ih, optionsHash: oh) {
        FileManager.default.fileExists(atPath: state.path($0))
      }
      let failure = done == nil ? index.failure(job.id, inputHash: ih, optionsHash: oh) : nil
      return Checked(job: job, inputHash: ih, optionsHash: oh, done: done, failure: failure)
    }
  }

  public static func manifest(_ checked: [Checked], jobListHash: String, version: String, shardManifests: [String]) -> MergedManifest {
    let entries = checked.map { c -> MergedEntry in
      let r = c.done ?? c.failure
      return MergedEntry(
        index: c.job.index, id: c.job.id, kind: c.job.kind, format: c.job.format.rawValue,
        action: c.job.action.rawValue, runs: c.job.runs.map(\.name), inputs: c.job.inputPaths,
        status: c.status, outputs: c.done?.outputs ?? [c.job.output], outputHashes: c.done?.outputHashes,
        inputHash: c.inputHash, optionsHash: c.optionsHash, seconds: r?.seconds, shard: r?.shard,
        host: r?.host, finishedAt: r?.finishedAt, error: c.failure?.error)
    }
    return MergedManifest(
      version: version, jobListHash: jobListHash, jobCount: entries.count,
      done: entries.filter { $0.status == .done }.count,
      failed: entries.filter { $0.status == .failed }.count,
      missing: entries.filter { $0.status == .missing }.count,
      shardManifests: shardManifests, jobs: entries)
  }
}

/// `OUT/index.html`: a gallery of everything the batch wrote, one section per run, readable
/// offline (no scripts, no fonts or styles from elsewhere; images by relative path).
public enum Gallery {
  public static func html(_ manifest: MergedManifest, title: String) -> String {
    func esc(_ s: String) -> String {
      var o = ""
      for c in Escape.controlCharacters(s) {
        switch c {
        case "&": o += "&amp;"
        case "<": o += "&lt;"
        case ">": o += "&gt;"
        case "\"": o += "&quot;"
        case "'": o += "&#39;"
        default: o.append(c)
        }
      }
      return o
    }
    func href(_ path: String) -> String {
      path.split(separator: "/").map {
        String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
      }.joined(separator: "/")
    }
    var groups: [(String, [MergedEntry])] = []
    for e in manifest.jobs where e.action != JobAction.frames.rawValue {
      let group = e.id.components(separatedBy: "/").dropLast().joined(separator: "/")
      if let i = groups.firstIndex(where: { $0.0 == group }) {
        groups[i].1.append(e)
      } else {
        groups.append((group, [e]))
      }
    }
    var body = ""
    for (group, entries) in groups {
      body += "<section id=\"\(esc(href(group)))\"><h2>\(esc(group))</h2><div class=\"grid\">\n"
      for e in entries {
        let file = e.outputs.first ?? e.id
        let name = (file as NSString).lastPathComponent
        body += "<figure class=\"\(e.status.rawValue)\">"
        switch e.status {
        case .done:
          let lower = file.lowercased()
          if lower.hasSuffix(".png") || lower.hasSuffix(".gif") {
            body += "<a href=\"\(esc(href(file)))\"><img src=\"\(esc(href(file)))\" alt=\"\(esc(e.id))\" loading=\"lazy\"></a>"
          } else if lower.hasSuffix(".mp4") {
            body += "<video src=\"\(esc(href(file)))\" controls loop muted></video>"
          } else {
            body += "<a class=\"file\" href=\"\(esc(href(file)))\">\(esc(name))</a>"
          }
          body += "<figcaption>\(esc(e.kind)) &middot; \(esc(e.format))\(e.seconds.map { String(format: " &middot; %.2f s", $0) } ?? "")</figcaption>"
        case .failed:
          body += "<div class=\"missing\">failed</div><figcaption>\(esc(e.kind)) &middot; \(esc(e.format))<br><code>\(esc(e.error ?? ""))</code></figcaption>"
        case .missing:
          body += "<div class=\"missing\">missing</div><figcaption>\(esc(e.kind)) &middot; \(esc(e.format))</figcaption>"
        }
        body += "</figure>\n"
      }
      body += "</div></section>\n"
    }
    let summary = "\(manifest.jobCount) jobs: \(manifest.done) done, \(manifest.failed) failed, \(manifest.missing) missing"
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(esc(title))</title>
      <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
      h1 { font-size: 1.4em; } h2 { font-size: 1.1em; border-bottom: 1px solid #ddd; }
      .grid { display: flex; flex-wrap: wrap; gap: 12px; }
      figure { margin: 0; width: 320px; }
      figure img, figure video { width: 320px; border: 1px solid #ddd; }
      figcaption { color: #555; font-size: 12px; }
      .missing { width: 318px; height: 120px; border: 1px dashed #c33; color: #c33; display: flex; align-items: center; justify-content: center; }
      .file { display: block; padding: 1em; border: 1px solid #ddd; }
      code { white-space: pre-wrap; font-size: 11px; }
      </style></head><body>
      <h1>\(esc(title))</h1>
      <p>\(esc(summary)). Trainscape \(esc(manifest.version)); every file is listed in <a href="manifest.json">manifest.json</a>.</p>
      \(body)</body></html>

      """
  }
}

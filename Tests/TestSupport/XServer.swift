import Foundation

/// An X server of our own (Xvfb on a free display number), killed when the value goes away.
/// Tests that open windows carry the `.xvfb` tag.
public final class XServer {
  public let display: String
  private let process: Process

  public init() throws {
    let candidates = ["/usr/bin/Xvfb", "/usr/local/bin/Xvfb"]
    guard let xvfb = candidates.first(where: FileManager.default.isExecutableFile) else {
      throw TestFailure("Xvfb is not installed: run scripts/setup.sh (apt-get install xvfb)")
    }
    var n = Int.random(in: 100...400)
    while FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(n)") || FileManager.default.fileExists(atPath: "/tmp/.X\(n)-lock") {
      n += 1
    }
    display = ":\(n)"
    process = Process()
    process.executableURL = URL(fileURLWithPath: xvfb)
    process.arguments = [display, "-screen", "0", "1600x900x24", "-nolisten", "tcp"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Xvfb creates its socket when it is ready to accept clients.
    let deadline = Date().addingTimeInterval(30)
    while !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(n)") {
      guard Date() < deadline, process.isRunning else { throw TestFailure("Xvfb \(display) did not start") }
      usleep(20_000)
    }
  }

  deinit {
    // SIGKILL: processes started by the test runner inherit a signal mask that blocks SIGTERM.
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    let n = display.dropFirst()
    try? FileManager.default.removeItem(atPath: "/tmp/.X\(n)-lock")
    try? FileManager.default.removeItem(atPath: "/tmp/.X11-unix/X\(n)")
  }
}

import ArgumentParser
import TrainscapeHeadless
import TrainscapeViewer

struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the EGL platforms and devices, the OpenGL version and renderer, and why each rendering backend is or is not available.")

  func run() throws {
    let window = MainActor.assumeIsolated { Viewer.probeWindow() }
    print(
      TrainscapeHeadless.Doctor.report(extra: [
        .init(name: "window (GLFW)", available: window.available, detail: window.detail)
      ]))
    let headless = TrainscapeHeadless.Doctor.probe().filter { $0.name.hasPrefix("headless") }
    if !headless.contains(where: \.available) {
      throw ExitCode.failure
    }
  }
}

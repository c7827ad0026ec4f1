import ArgumentParser
import TrainscapeHeadless

struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the EGL platforms and devices, the OpenGL version and renderer, and why each rendering backend is or is not available.")

  func run() throws {
    print(TrainscapeHeadless.Doctor.report())
    let headless = TrainscapeHeadless.Doctor.probe().filter { $0.name.hasPrefix("headless") }
    if !headless.contains(where: \.available) {
      throw ExitCode.failure
    }
  }
}

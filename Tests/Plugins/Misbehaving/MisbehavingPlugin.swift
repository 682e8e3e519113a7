import Foundation
import PluginAPI

// A plugin that breaks the completion rules on purpose, chosen by the method name, to prove the
// host survives it. It implements the C symbols by hand instead of through PluginExport.

nonisolated(unsafe) private let manifestJSON = strdup(
    """
    {"name":"misbehaving","kind":"notificationChannel","contractVersion":1,\
    "description":"Answers late, twice, garbage or never, by method name.","settingsSchema":{"type":"object"}}
    """)!

private struct Done: @unchecked Sendable {
    let done: PluginDoneCallback
    let context: UnsafeMutableRawPointer?

    func answer(_ status: Int32, _ text: String, context override: UnsafeMutableRawPointer? = nil) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            done(override ?? context, status, buffer.baseAddress, buffer.count)
        }
    }
}

@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { 1 }

@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { UnsafePointer(manifestJSON) }

@_cdecl("plugin_v1_create")
public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?)
    -> UnsafeMutableRawPointer?
{
    UnsafeMutableRawPointer(bitPattern: 0x1)  // no state: any non-null handle will do
}

@_cdecl("plugin_v1_call")
public func pluginCall(
    _ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?,
    _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?
) {
    guard let done, let method else { return }
    let reply = Done(done: done, context: context)
    switch String(cString: method) {
    case "late":
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1000)) { reply.answer(0, #"{"late":true}"#) }
    case "twice":
        reply.answer(0, #"{"answer":1}"#)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { reply.answer(0, #"{"answer":2}"#) }
    case "garbage":
        DispatchQueue.global().async { reply.answer(0, "{not json") }
    case "garbageError":
        DispatchQueue.global().async { reply.answer(7, "oops, no error object") }
    case "pluginError":
        DispatchQueue.global().async {
            reply.answer(1, #"{"code":"rejected","message":"recipient refused","field":"/to"}"#)
        }
    case "inventedContext":
        reply.answer(0, #"{"stray":true}"#, context: UnsafeMutableRawPointer(bitPattern: 0xDEAD_BEEF_0000))
        reply.answer(0, #"{"ok":true}"#)
    case "synchronous":
        reply.answer(0, #"{"synchronous":true}"#)
    case "never":
        break
    default:
        reply.answer(1, #"{"code":"unsupportedMethod","message":"no such method"}"#)
    }
}

@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) {}

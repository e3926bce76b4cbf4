import Foundation
import GongzhiSchemas
import SwiftProtobuf

/// Descriptors of messages that tests and the test plugin register as kinds, built by hand (the generated Swift
/// code carries no descriptors).
public enum TestDescriptors {
    /// A field of a hand-built message.
    public static func field(
        _ name: String,
        _ number: Int32,
        _ type: Google_Protobuf_FieldDescriptorProto.TypeEnum,
        repeated: Bool = false,
        typeName: String = "",
        sensitive: Bool = false,
        oneof: Int32? = nil
    ) -> Google_Protobuf_FieldDescriptorProto {
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = name
        field.number = number
        field.type = type
        field.label = repeated ? .repeated : .optional
        if !typeName.isEmpty { field.typeName = typeName }
        if sensitive { field.options.Gongzhi_Core_V1_sensitive = true }
        if let oneof { field.oneofIndex = oneof }
        return field
    }

    /// A serialized FileDescriptorSet of one proto3 file holding `messages`.
    public static func set(file: String, package: String, messages: [Google_Protobuf_DescriptorProto]) throws -> Data {
        var descriptor = Google_Protobuf_FileDescriptorProto()
        descriptor.name = file
        descriptor.package = package
        descriptor.syntax = "proto3"
        descriptor.messageType = messages
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [descriptor]
        return try set.serializedBytes()
    }

    /// gongzhi.test.v1.Note { string text = 1; int64 count = 2; string secret = 3 [(sensitive) = …]; }
    public static func note(secretIsSensitive: Bool = true) throws -> Data {
        var message = Google_Protobuf_DescriptorProto()
        message.name = "Note"
        message.field = [
            field("text", 1, .string), field("count", 2, .int64),
            field("secret", 3, .string, sensitive: secretIsSensitive),
        ]
        return try set(file: "gongzhi/test/v1/note.proto", package: "gongzhi.test.v1", messages: [message])
    }
}

#include "io/pickle.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace qs {

namespace {

using Kind = PickleValue::Kind;
using Callable = PickleValue::Callable;

// Far beyond what a state dict needs; keeps a hostile stream from growing the stacks unbounded.
constexpr std::size_t kMaxStack = 1'000'000;
// A value is ~200 bytes: this caps the tree near 1 GB, far above a 100k-tensor state dict.
constexpr std::size_t kMaxValues = 5'000'000;

struct Failure {
    std::string message;
};

// Opcodes torch.save emits for state dicts (pickle protocol 2, plus FRAME/MEMOIZE/STACK_GLOBAL
// from protocol 4, which newer writers may use).
enum Op : std::uint8_t {
    kMark = '(',
    kStop = '.',
    kBinFloat = 'G',
    kBinInt = 'J',
    kBinInt1 = 'K',
    kBinInt2 = 'M',
    kNone = 'N',
    kBinPersId = 'Q',
    kReduce = 'R',
    kShortBinString = 'U',
    kBinUnicode = 'X',
    kEmptyList = ']',
    kAppend = 'a',
    kBuild = 'b',
    kGlobal = 'c',
    kAppends = 'e',
    kBinGet = 'h',
    kLongBinGet = 'j',
    kEmptyDict = '}',
    kBinPut = 'q',
    kLongBinPut = 'r',
    kSetItem = 's',
    kTuple = 't',
    kSetItems = 'u',
    kEmptyTuple = ')',
    kProto = 0x80,
    kNewObj = 0x81,
    kTuple1 = 0x85,
    kTuple2 = 0x86,
    kTuple3 = 0x87,
    kNewTrue = 0x88,
    kNewFalse = 0x89,
    kLong1 = 0x8a,
    kShortBinUnicode = 0x8c,
    kBinUnicode8 = 0x8d,
    kStackGlobal = 0x93,
    kMemoize = 0x94,
    kFrame = 0x95,
};

std::optional<DType> storageDType(std::string_view name) {
    static const std::pair<std::string_view, DType> kStorages[] = {
        {"FloatStorage", DType::F32},
        {"DoubleStorage", DType::F64},
        {"HalfStorage", DType::F16},
        {"BFloat16Storage", DType::BF16},
        {"LongStorage", DType::I64},
        {"IntStorage", DType::I32},
        {"ShortStorage", DType::I16},
        {"CharStorage", DType::I8},
        {"ByteStorage", DType::U8},
        {"BoolStorage", DType::BOOL},
        {"Float8_e4m3fnStorage", DType::F8_E4M3},
        {"Float8_e5m2Storage", DType::F8_E5M2},
    };
    for (const auto &[storageName, dtype] : kStorages) {
        if (name == storageName)
            return dtype;
    }
    return std::nullopt;
}

class Unpickler {
public:
    explicit Unpickler(std::span<const std::byte> data)
        : m_data(data) {}

    PickleTree run() {
        for (;;) {
            m_opStart = m_pos;
            const std::uint8_t op = u8();
            if (op == kStop)
                break;
            dispatch(op);
        }
        if (m_stack.size() != 1 || !m_marks.empty())
            fail("STOP with " + std::to_string(m_stack.size()) + " values on the stack (expected one)");
        m_tree.root = m_stack.back();
        return std::move(m_tree);
    }

private:
    [[noreturn]] void fail(const std::string &problem) const {
        throw Failure{"data.pkl: " + problem + " (opcode at byte " + std::to_string(m_opStart) + ")"};
    }

    // ---- input ----
    std::span<const std::byte> take(std::uint64_t count) {
        if (count > m_data.size() - m_pos)
            fail("truncated pickle: needs " + std::to_string(count) + " more bytes, " +
                 std::to_string(m_data.size() - m_pos) + " left");
        const auto bytes = m_data.subspan(m_pos, std::size_t(count));
        m_pos += std::size_t(count);
        return bytes;
    }
    std::uint64_t little(int width) {
        const auto bytes = take(std::uint64_t(width));
        std::uint64_t value = 0;
        for (int i = 0; i < width; ++i)
            value |= std::uint64_t(bytes[std::size_t(i)]) << (8 * i);
        return value;
    }
    std::uint8_t u8() { return std::uint8_t(little(1)); }
    std::string text(std::uint64_t count) {
        const auto bytes = take(count);
        return std::string(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    }
    std::string line() {
        const auto rest = m_data.subspan(m_pos);
        const auto *begin = reinterpret_cast<const char *>(rest.data());
        const void *newline = std::memchr(begin, '\n', rest.size());
        if (!newline)
            fail("truncated pickle: GLOBAL name has no newline");
        const auto length = std::size_t(static_cast<const char *>(newline) - begin);
        std::string result(begin, length);
        m_pos += length + 1;
        return result;
    }

    // ---- values and stacks ----
    std::size_t make(PickleValue value) {
        if (m_tree.values.size() >= kMaxValues)
            fail("more than " + std::to_string(kMaxValues) + " values");
        m_tree.values.push_back(std::move(value));
        return m_tree.values.size() - 1;
    }
    std::size_t makeKind(Kind kind) {
        PickleValue value;
        value.kind = kind;
        return make(std::move(value));
    }
    void push(std::size_t index) {
        if (m_stack.size() >= kMaxStack)
            fail("stack deeper than " + std::to_string(kMaxStack));
        m_stack.push_back(index);
    }
    std::size_t pop() {
        if (m_stack.size() <= stackFloor())
            fail("stack underflow");
        const std::size_t top = m_stack.back();
        m_stack.pop_back();
        return top;
    }
    std::size_t top() {
        if (m_stack.size() <= stackFloor())
            fail("stack underflow");
        return m_stack.back();
    }
    std::size_t stackFloor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    std::vector<std::size_t> popToMark() {
        if (m_marks.empty())
            fail("no MARK before this opcode");
        const std::size_t mark = m_marks.back();
        m_marks.pop_back();
        std::vector<std::size_t> items(m_stack.begin() + std::ptrdiff_t(mark), m_stack.end());
        m_stack.resize(mark);
        return items;
    }
    PickleValue &valueOf(std::size_t index) { return m_tree.values[index]; }
    PickleValue &expect(std::size_t index, Kind kind, const char *what) {
        if (valueOf(index).kind != kind)
            fail(std::string(what));
        return valueOf(index);
    }

    // ---- opcodes ----
    void dispatch(std::uint8_t op) {
        if (scalar(op) || container(op) || memo(op) || call(op))
            return;
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", unsigned(op));
        fail(std::string("unsupported pickle opcode ") + hex);
    }

    bool scalar(std::uint8_t op) {
        switch (op) {
        case kProto:
            if (u8() > 5)
                fail("unsupported pickle protocol");
            return true;
        case kFrame:
            little(8); // frames only group opcodes; the stream is parsed the same without them
            return true;
        case kNone:
            push(makeKind(Kind::None));
            return true;
        case kNewTrue:
        case kNewFalse:
            pushInt(Kind::Bool, op == kNewTrue ? 1 : 0);
            return true;
        case kBinInt:
            pushInt(Kind::Int, std::int32_t(std::uint32_t(little(4))));
            return true;
        case kBinInt1:
            pushInt(Kind::Int, std::int64_t(little(1)));
            return true;
        case kBinInt2:
            pushInt(Kind::Int, std::int64_t(little(2)));
            return true;
        case kLong1:
            pushInt(Kind::Int, long1());
            return true;
        case kBinFloat:
            pushFloat();
            return true;
        case kShortBinString:
        case kShortBinUnicode:
            pushString(text(little(1)));
            return true;
        case kBinUnicode:
            pushString(text(little(4)));
            return true;
        case kBinUnicode8:
            pushString(text(little(8)));
            return true;
        default:
            return false;
        }
    }

    void pushInt(Kind kind, std::int64_t number) {
        PickleValue value;
        value.kind = kind;
        value.integer = number;
        push(make(std::move(value)));
    }
    std::int64_t long1() {
        const std::uint8_t length = u8();
        if (length > 8)
            fail("LONG1 integer of " + std::to_string(length) + " bytes does not fit 64 bits");
        if (length == 0)
            return 0;
        std::uint64_t raw = little(length);
        if (length < 8 && (raw >> (8 * length - 1)) & 1) // sign-extend two's complement
            raw |= ~std::uint64_t(0) << (8 * length);
        return std::int64_t(raw);
    }
    void pushFloat() {
        const auto bytes = take(8);
        std::uint64_t raw = 0;
        for (std::size_t i = 0; i < 8; ++i) // BINFLOAT is big-endian
            raw = (raw << 8) | std::uint64_t(bytes[i]);
        PickleValue value;
        value.kind = Kind::Float;
        value.real = std::bit_cast<double>(raw);
        push(make(std::move(value)));
    }
    void pushString(std::string content) {
        PickleValue value;
        value.kind = Kind::String;
        value.text = std::move(content);
        push(make(std::move(value)));
    }

    bool container(std::uint8_t op) {
        switch (op) {
        case kMark:
            if (m_marks.size() >= kMaxStack)
                fail("more than " + std::to_string(kMaxStack) + " MARKs");
            m_marks.push_back(m_stack.size());
            return true;
        case kEmptyDict:
            push(makeKind(Kind::Dict));
            return true;
        case kEmptyList:
            push(makeKind(Kind::List));
            return true;
        case kEmptyTuple:
            pushTuple({});
            return true;
        case kTuple1:
        case kTuple2:
        case kTuple3:
            pushTupleOf(std::size_t(op - kTuple1 + 1));
            return true;
        case kTuple:
            pushTuple(popToMark());
            return true;
        case kAppend:
            appendItems({pop()});
            return true;
        case kAppends:
            appendItems(popToMark());
            return true;
        case kSetItem:
            setItemsOf({pop(), pop()});
            return true;
        case kSetItems:
            setItems(popToMark());
            return true;
        default:
            return false;
        }
    }

    void pushTuple(std::vector<std::size_t> items) {
        PickleValue value;
        value.kind = Kind::Tuple;
        value.items = std::move(items);
        push(make(std::move(value)));
    }
    void pushTupleOf(std::size_t count) {
        std::vector<std::size_t> items(count);
        for (std::size_t i = count; i-- > 0;)
            items[i] = pop();
        pushTuple(std::move(items));
    }
    void appendItems(const std::vector<std::size_t> &items) {
        PickleValue &list = expect(top(), Kind::List, "APPEND to something that is not a list");
        list.items.insert(list.items.end(), items.begin(), items.end());
    }
    // SETITEM pops the value first, then the key.
    void setItemsOf(const std::vector<std::size_t> &valueThenKey) {
        setItems({valueThenKey[1], valueThenKey[0]});
    }
    void setItems(const std::vector<std::size_t> &keysAndValues) {
        if (keysAndValues.size() % 2 != 0)
            fail("SETITEMS with an odd number of items");
        PickleValue &dict = expect(top(), Kind::Dict, "SETITEM on something that is not a dict");
        for (std::size_t i = 0; i < keysAndValues.size(); i += 2)
            dict.entries.emplace_back(keysAndValues[i], keysAndValues[i + 1]);
    }

    bool memo(std::uint8_t op) {
        switch (op) {
        case kBinPut:
            m_memo[std::uint32_t(little(1))] = top();
            return true;
        case kLongBinPut:
            m_memo[std::uint32_t(little(4))] = top();
            return true;
        case kMemoize:
            m_memo[std::uint32_t(m_memo.size())] = top();
            return true;
        case kBinGet:
            push(memoGet(std::uint32_t(little(1))));
            return true;
        case kLongBinGet:
            push(memoGet(std::uint32_t(little(4))));
            return true;
        default:
            return false;
        }
    }
    std::size_t memoGet(std::uint32_t key) {
        const auto it = m_memo.find(key);
        if (it == m_memo.end())
            fail("memo key " + std::to_string(key) + " was never stored");
        return it->second;
    }

    bool call(std::uint8_t op) {
        switch (op) {
        case kGlobal: {
            std::string module = line();
            std::string name = line();
            push(global(module, name));
            return true;
        }
        case kStackGlobal: {
            const std::size_t name = pop();
            const std::size_t module = pop();
            push(global(expect(module, Kind::String, "STACK_GLOBAL module is not a string").text,
                        expect(name, Kind::String, "STACK_GLOBAL name is not a string").text));
            return true;
        }
        case kReduce:
        case kNewObj: {
            const std::size_t args = pop();
            const std::size_t callable = pop();
            push(reduce(callable, args));
            return true;
        }
        case kBuild:
            pop(); // the state (e.g. a state dict's _metadata) carries no tensor data
            top();
            return true;
        case kBinPersId:
            push(persistentStorage(pop()));
            return true;
        default:
            return false;
        }
    }

    std::size_t global(const std::string &module, const std::string &name) {
        PickleValue value;
        value.kind = Kind::Global;
        if (module == "collections" && name == "OrderedDict") {
            value.callable = Callable::OrderedDict;
        } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
            value.callable = Callable::RebuildTensorV2;
        } else if (module == "torch._utils" &&
                   (name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state")) {
            value.callable = Callable::RebuildParameter;
        } else if (const auto dtype = storageDType(name); module == "torch" && dtype) {
            value.callable = Callable::StorageType;
            value.dtype = *dtype;
        } else {
            throw Failure{"refuses to load global '" + module + "." + name +
                          "' (only state-dict types are allowed)"};
        }
        return make(std::move(value));
    }

    std::size_t reduce(std::size_t callable, std::size_t args) {
        const PickleValue &function =
            expect(callable, Kind::Global, "REDUCE of something that is not a global");
        const std::vector<std::size_t> arguments =
            expect(args, Kind::Tuple, "REDUCE arguments are not a tuple").items;
        switch (function.callable) {
        case Callable::OrderedDict:
            if (!arguments.empty())
                fail("OrderedDict called with arguments");
            return makeKind(Kind::Dict);
        case Callable::RebuildTensorV2:
            return rebuildTensor(arguments);
        case Callable::RebuildParameter:
            if (arguments.empty() || valueOf(arguments[0]).kind != Kind::Tensor)
                fail("_rebuild_parameter without a tensor");
            return arguments[0];
        case Callable::StorageType:
            break;
        }
        fail("a storage type cannot be called");
    }

    std::vector<std::int64_t> sizes(std::size_t index, const char *what) {
        const std::vector<std::size_t> items =
            expect(index, Kind::Tuple, (std::string(what) + " is not a tuple").c_str()).items;
        if (items.size() > kMaxPickleRank)
            fail(std::string(what) + " has rank " + std::to_string(items.size()) + ", more than " +
                 std::to_string(kMaxPickleRank));
        std::vector<std::int64_t> result;
        for (std::size_t item : items) {
            const PickleValue &dim = valueOf(item);
            if (dim.kind != Kind::Int || dim.integer < 0)
                fail(std::string(what) + " holds something that is not a non-negative integer");
            result.push_back(dim.integer);
        }
        return result;
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    std::size_t rebuildTensor(const std::vector<std::size_t> &args) {
        if (args.size() < 6 || args.size() > 7)
            fail("_rebuild_tensor_v2 called with " + std::to_string(args.size()) + " arguments");
        PickleValue tensor;
        tensor.kind = Kind::Tensor;
        tensor.storage = args[0];
        expect(args[0], Kind::Storage, "_rebuild_tensor_v2 without a storage");
        const PickleValue &offset = valueOf(args[1]);
        if (offset.kind != Kind::Int || offset.integer < 0)
            fail("_rebuild_tensor_v2 storage offset is not a non-negative integer");
        tensor.integer = offset.integer;
        tensor.shape = sizes(args[2], "tensor size");
        tensor.strides = sizes(args[3], "tensor stride");
        if (tensor.shape.size() != tensor.strides.size())
            fail("tensor size and stride have different ranks");
        tensor.dtype = valueOf(args[0]).dtype;
        return make(std::move(tensor));
    }

    // ('storage', torch.<Type>Storage, key, location, numel)
    std::size_t persistentStorage(std::size_t pid) {
        const std::vector<std::size_t> fields =
            expect(pid, Kind::Tuple, "persistent id is not a tuple").items;
        if (fields.size() != 5 || valueOf(fields[0]).kind != Kind::String ||
            valueOf(fields[0]).text != "storage")
            fail("persistent id is not a ('storage', type, key, location, numel) tuple");
        const PickleValue &type = valueOf(fields[1]);
        if (type.kind != Kind::Global || type.callable != Callable::StorageType)
            fail("persistent id names no storage type");
        const PickleValue &key = expect(fields[2], Kind::String, "storage key is not a string");
        const PickleValue &numel = expect(fields[4], Kind::Int, "storage size is not an integer");
        if (numel.integer < 0)
            fail("storage size is negative");
        PickleValue storage;
        storage.kind = Kind::Storage;
        storage.dtype = type.dtype;
        storage.text = key.text;
        storage.numel = std::uint64_t(numel.integer);
        return make(std::move(storage));
    }

    std::span<const std::byte> m_data;
    std::size_t m_pos = 0;
    std::size_t m_opStart = 0;
    PickleTree m_tree;
    std::vector<std::size_t> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<std::uint32_t, std::size_t> m_memo;
};

} // namespace

Result<PickleTree> unpickleStateDict(std::span<const std::byte> data) {
    // Failures unwind as an exception inside this file only; the API returns a Result.
    try {
        return Unpickler(data).run();
    } catch (const Failure &failure) {
        return Error{failure.message};
    } catch (const std::bad_alloc &) {
        return Error{"data.pkl: not enough memory to unpickle"};
    }
}

} // namespace qs

#include "tabular/rdata.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

namespace tabular {
namespace {

// SEXP type codes and the pseudo-types of R's serialization (src/main/serialize.c).
enum : int {
  kSym = 1, kList = 2, kChar = 9, kLogical = 10, kInt = 13, kReal = 14, kString = 16,
  kVector = 19, kAltrep = 238, kAttrList = 239, kEmptyEnv = 242, kBaseEnv = 241,
  kGlobalEnv = 253, kNil = 254, kRef = 255, kMissingArg = 251, kUnboundValue = 252,
  kBaseNamespace = 247
};
constexpr int kNaInteger = std::numeric_limits<int>::min();
constexpr int kMaxDepth = 64;

/// A decoded R object: only the parts a data.frame of atomic columns needs.
struct RObject {
  int type = kNil;
  std::vector<double> numbers;        // kInt / kLogical / kReal (NA as NaN)
  std::vector<std::string> strings;   // kString, kChar, kSym (one element)
  std::vector<bool> string_na;        // kString: which elements are NA
  std::vector<std::shared_ptr<RObject>> items;  // kVector, kList (the CARs)
  std::vector<std::string> tags;                // kList: the tag of each item
  std::vector<std::pair<std::string, std::shared_ptr<RObject>>> attributes;

  const RObject* attribute(const std::string& name) const {
    for (const auto& [key, value] : attributes) {
      if (key == name) return value.get();
    }
    return nullptr;
  }
  bool inherits(const std::string& cls) const {
    const RObject* c = attribute("class");
    if (c == nullptr) return false;
    for (const auto& s : c->strings) {
      if (s == cls) return true;
    }
    return false;
  }
};
using RPtr = std::shared_ptr<RObject>;

std::invalid_argument bad(const std::string& what) {
  return std::invalid_argument("--data: not a readable R data file (" + what + ")");
}

const std::string& first_string(const RObject& obj) {
  if (obj.strings.empty()) throw bad("a symbol or tag that is not a string");
  return obj.strings.front();
}

class XdrReader {
 public:
  explicit XdrReader(const std::string& bytes, size_t offset) : bytes_(bytes), pos_(offset) {}

  int32_t int32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | uint8_t(bytes_[pos_++]);
    return static_cast<int32_t>(v);
  }
  double real() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | uint8_t(bytes_[pos_++]);
    double d;
    std::memcpy(&d, &v, sizeof(d));
    return d;
  }
  std::string text(size_t n) {
    need(n);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  /// A vector length (the long form: -1 then two ints), checked against the bytes left.
  size_t length(size_t bytes_per_element) {
    int64_t n = int32();
    if (n == -1) n = (int64_t(uint32_t(int32())) << 32) | int64_t(uint32_t(int32()));
    if (n < 0 || size_t(n) * std::max<size_t>(bytes_per_element, 1) > bytes_.size() - pos_) {
      throw bad("a vector length beyond the end of the file");
    }
    return size_t(n);
  }

 private:
  void need(size_t n) const {
    if (bytes_.size() - pos_ < n) throw bad("the serialization ends early");
  }
  const std::string& bytes_;
  size_t pos_;
};

class Unserializer {
 public:
  explicit Unserializer(XdrReader& in) : in_(in) {}

  RPtr item(int depth = 0) {
    if (depth > kMaxDepth) throw bad("objects nested too deeply");
    const int32_t flags = in_.int32();
    const int type = flags & 0xFF;
    const bool has_attr = flags & (1 << 9), has_tag = flags & (1 << 10);
    auto obj = std::make_shared<RObject>();
    obj->type = type;
    switch (type) {
      case kNil: case kEmptyEnv: case kBaseEnv: case kGlobalEnv: case kMissingArg:
      case kUnboundValue: case kBaseNamespace:
        obj->type = kNil;
        return obj;
      case kRef: {
        int32_t index = flags >> 8;
        if (index == 0) index = in_.int32();
        if (index < 1 || size_t(index) > refs_.size()) throw bad("a bad reference");
        return refs_[size_t(index) - 1];
      }
      case kSym: {
        obj->strings.push_back(first_string(*item(depth + 1)));
        refs_.push_back(obj);
        return obj;
      }
      case kList: case kAttrList:
        return pairlist(obj, has_attr, has_tag, depth);
      case kChar: {
        const int32_t n = in_.int32();
        obj->strings.push_back(n < 0 ? std::string() : in_.text(size_t(n)));
        obj->string_na.push_back(n < 0);
        return obj;
      }
      case kLogical: case kInt: {
        const size_t n = in_.length(4);
        obj->numbers.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          const int32_t v = in_.int32();
          obj->numbers.push_back(v == kNaInteger ? std::nan("") : double(v));
        }
        break;
      }
      case kReal: {
        const size_t n = in_.length(8);
        obj->numbers.reserve(n);
        for (size_t i = 0; i < n; ++i) obj->numbers.push_back(in_.real());
        break;
      }
      case kString: {
        const size_t n = in_.length(4);
        for (size_t i = 0; i < n; ++i) {
          auto s = item(depth + 1);
          if (s->type != kChar) throw bad("a character vector element that is not a string");
          obj->strings.push_back(s->strings.at(0));
          obj->string_na.push_back(s->string_na.at(0));
        }
        break;
      }
      case kVector: {
        const size_t n = in_.length(4);
        for (size_t i = 0; i < n; ++i) obj->items.push_back(item(depth + 1));
        break;
      }
      case kAltrep:
        return altrep(depth);
      default:
        throw bad("R object type " + std::to_string(type) + ", not a data.frame of columns");
    }
    if (has_attr) read_attributes(*obj, depth);
    return obj;
  }

 private:
  RPtr pairlist(RPtr head, bool has_attr, bool has_tag, int depth) {
    RPtr node = head;
    head->type = kList;
    while (true) {
      if (has_attr) item(depth + 1);
      head->tags.push_back(has_tag ? first_string(*item(depth + 1)) : std::string());
      head->items.push_back(item(depth + 1));
      const int32_t flags = in_.int32();
      const int type = flags & 0xFF;
      if (type == kNil) return head;
      if (type != kList && type != kAttrList) throw bad("a pairlist with a non-list tail");
      has_attr = flags & (1 << 9);
      has_tag = flags & (1 << 10);
    }
  }

  void read_attributes(RObject& obj, int depth) {
    auto list = item(depth + 1);
    for (size_t i = 0; i < list->items.size(); ++i) {
      obj.attributes.emplace_back(list->tags[i], list->items[i]);
    }
  }

  // ALTREP objects (R >= 3.5): compact integer/real sequences and wrappers are expanded.
  RPtr altrep(int depth) {
    auto info = item(depth + 1);
    auto state = item(depth + 1);
    auto attr = item(depth + 1);
    const std::string cls = info->items.empty() ? "" : first_string(*info->items.at(0));
    RPtr out;
    if ((cls == "compact_intseq" || cls == "compact_realseq") && state->numbers.size() == 3) {
      out = std::make_shared<RObject>();
      out->type = cls == "compact_intseq" ? kInt : kReal;
      const double n = state->numbers[0], start = state->numbers[1], step = state->numbers[2];
      if (!(n >= 0 && n < 1e9)) throw bad("a compact sequence of bad length");
      for (int64_t i = 0; i < int64_t(n); ++i) out->numbers.push_back(start + double(i) * step);
    } else if (cls.rfind("wrap_", 0) == 0 && !state->items.empty()) {
      out = std::make_shared<RObject>(*state->items.at(0));
    } else {
      throw bad("unsupported ALTREP class '" + cls + "'");
    }
    for (size_t i = 0; i < attr->items.size(); ++i) {
      out->attributes.emplace_back(attr->tags[i], attr->items[i]);
    }
    return out;
  }

  XdrReader& in_;
  std::vector<RPtr> refs_;
};

const RObject* find_data_frame(const RObject& obj) {
  if (obj.type == kVector && obj.inherits("data.frame")) return &obj;
  for (const auto& child : obj.items) {
    if (const RObject* found = find_data_frame(*child)) return found;
  }
  return nullptr;
}

Column to_column(const std::string& name, const RObject& obj) {
  Column col;
  col.name = name;
  if (obj.type == kString) {
    col.numeric = false;
    col.text = obj.strings;
    return col;
  }
  if (obj.type != kInt && obj.type != kReal && obj.type != kLogical) {
    throw std::invalid_argument("--data: column '" + name + "' is not an atomic R vector");
  }
  if (const RObject* levels = obj.attribute("levels"); levels && obj.inherits("factor")) {
    col.numeric = false;
    col.levels = levels->strings;
    for (double code : obj.numbers) {
      if (std::isnan(code)) {
        col.text.emplace_back();
        continue;
      }
      if (code < 1 || code > double(levels->strings.size())) {
        throw bad("factor '" + name + "' has a code outside its levels");
      }
      col.text.push_back(levels->strings[size_t(code) - 1]);
    }
    return col;
  }
  col.numbers = obj.numbers;
  return col;
}

} // namespace

bool is_rdata(const std::string& bytes) {
  return bytes.size() >= 5 && (bytes.compare(0, 5, "RDX2\n") == 0 ||
                                bytes.compare(0, 5, "RDX3\n") == 0);
}

std::vector<Column> rdata_columns(const std::string& bytes) {
  if (!is_rdata(bytes)) throw bad("no RDX2/RDX3 header");
  if (bytes.size() < 7 || bytes.compare(5, 2, "X\n") != 0) {
    throw bad("only the XDR (binary) format is read, not ASCII or native");
  }
  XdrReader in(bytes, 7);
  const int32_t version = in.int32();
  in.int32();  // writer's R version
  in.int32();  // minimal reader version
  if (version == 3) in.text(size_t(in.length(1)));  // native encoding name
  else if (version != 2) throw bad("serialization version " + std::to_string(version));
  Unserializer reader(in);
  const RPtr root = reader.item();
  const RObject* frame = find_data_frame(*root);
  if (frame == nullptr) throw bad("no data.frame in it");
  const RObject* names = frame->attribute("names");
  if (names == nullptr || names->strings.size() != frame->items.size()) {
    throw bad("a data.frame without column names");
  }
  std::vector<Column> columns;
  for (size_t i = 0; i < frame->items.size(); ++i) {
    columns.push_back(to_column(names->strings[i], *frame->items[i]));
  }
  return columns;
}

} // namespace tabular

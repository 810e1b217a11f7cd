#include "idx_dataset.h"

#include <zlib.h>

#include <cmath>
#include <stdexcept>

namespace fmnist {
namespace {

std::string read_gz(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");  // also reads uncompressed files
  if (file == nullptr) throw std::runtime_error("fmnist: cannot open " + path);
  std::string data;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) data.append(buffer, n);
  gzclose(file);
  if (n < 0) throw std::runtime_error("fmnist: cannot decompress " + path);
  return data;
}

uint32_t big_endian(const std::string& data, size_t offset) {
  const auto* b = reinterpret_cast<const unsigned char*>(data.data()) + offset;
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

std::string find_file(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name}) {
    if (FILE* f = std::fopen(candidate.c_str(), "rb")) {
      std::fclose(f);
      return candidate;
    }
  }
  throw std::runtime_error("fmnist: " + dir + "/" + name +
                           "[.gz] not found (install dataset-fashion-mnist or pass --data)");
}

} // namespace

Split load_split(const std::string& dir, const std::string& prefix) {
  const std::string image_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  const std::string images = read_gz(image_path);
  const std::string labels = read_gz(label_path);
  if (images.size() < 16 || big_endian(images, 0) != 2051) {
    throw std::runtime_error("fmnist: " + image_path + " is not an IDX image file");
  }
  if (labels.size() < 8 || big_endian(labels, 0) != 2049) {
    throw std::runtime_error("fmnist: " + label_path + " is not an IDX label file");
  }
  const int64_t n = big_endian(images, 4), rows = big_endian(images, 8),
                cols = big_endian(images, 12);
  if (static_cast<int64_t>(big_endian(labels, 4)) != n ||
      images.size() != size_t(16 + n * rows * cols) || labels.size() != size_t(8 + n)) {
    throw std::runtime_error("fmnist: " + image_path + " and " + label_path + " do not match");
  }
  Split split;
  split.images = torch::from_blob(const_cast<char*>(images.data()) + 16, {n, 1, rows, cols},
                                  torch::kUInt8)
                     .to(torch::kFloat)
                     .div_(255);
  split.labels =
      torch::from_blob(const_cast<char*>(labels.data()) + 8, {n}, torch::kUInt8).to(torch::kLong);
  return split;
}

std::vector<int64_t> long_tail_counts(int64_t num_classes, int64_t per_class, double ratio,
                                      const std::string& profile) {
  if (ratio < 1) throw std::invalid_argument("fmnist: imbalance ratio must be >= 1");
  if (profile == "balanced" || profile == "balanced_step") {
    // The exp (step) profile's total, split equally; the first classes take the remainder.
    const auto skewed =
        long_tail_counts(num_classes, per_class, ratio, profile == "balanced" ? "exp" : "step");
    int64_t total = 0;
    for (const int64_t n : skewed) total += n;
    std::vector<int64_t> counts(num_classes, total / num_classes);
    for (int64_t c = 0; c < total % num_classes; ++c) ++counts[c];
    return counts;
  }
  std::vector<int64_t> counts(num_classes);
  for (int64_t c = 0; c < num_classes; ++c) {
    double n;
    if (profile == "exp") {
      n = per_class * std::pow(ratio, -double(c) / double(std::max<int64_t>(num_classes - 1, 1)));
    } else if (profile == "step") {
      n = c < num_classes / 2 ? per_class : per_class / ratio;
    } else {
      throw std::invalid_argument(
          "fmnist: profile must be exp, step, balanced or balanced_step, got " + profile);
    }
    counts[c] = std::max<int64_t>(1, static_cast<int64_t>(std::floor(n)));
  }
  return counts;
}

std::pair<torch::Tensor, torch::Tensor> long_tail_split(const torch::Tensor& labels,
                                                        const std::vector<int64_t>& counts,
                                                        int64_t val_per_class, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> train, val;
  for (size_t c = 0; c < counts.size(); ++c) {
    const auto members = torch::nonzero(labels == int64_t(c)).flatten();
    const auto order = members.index_select(
        0, torch::randperm(members.numel(), generator, torch::TensorOptions(torch::kLong)));
    const int64_t n_val = std::min<int64_t>(val_per_class, order.numel());
    const int64_t n_train = std::min<int64_t>(counts[c], order.numel() - n_val);
    val.push_back(order.slice(0, 0, n_val));
    train.push_back(order.slice(0, n_val, n_val + n_train));
  }
  return {torch::cat(train), torch::cat(val)};
}

} // namespace fmnist

// The compressors zswap can use (the kernel's crypto_comp "lz4" and "zstd").
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

enum class Compressor { lz4, zstd };

std::optional<Compressor> parse_compressor(std::string_view name);
const char* compressor_name(Compressor c);

// Worst-case compressed size of a page: the size of the per-cpu dst buffer (2 pages
// in the kernel, which covers lz4's and zstd's bound for 4 KiB).
inline constexpr std::size_t kCompressBufferSize = 2 * 4096;

// Compresses src into dst (kCompressBufferSize bytes). Returns the compressed length,
// or 0 when the compressor fails.
std::size_t compress_page(Compressor c, const void* src, std::size_t src_len, void* dst);

// Decompresses exactly dst_len bytes. Returns false when the input is corrupt or
// does not decompress to exactly dst_len bytes.
bool decompress_page(Compressor c, const void* src, std::size_t src_len, void* dst,
                     std::size_t dst_len);

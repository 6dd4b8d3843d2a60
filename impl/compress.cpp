#include "compress.h"

#include <lz4.h>
#include <zstd.h>

static_assert(LZ4_COMPRESSBOUND(4096) <= static_cast<int>(kCompressBufferSize));

namespace {

// zstd keeps one context per thread, as the kernel keeps one per cpu.
ZSTD_CCtx* zstd_cctx() {
  thread_local struct Holder {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ~Holder() { ZSTD_freeCCtx(ctx); }
  } holder;
  return holder.ctx;
}

ZSTD_DCtx* zstd_dctx() {
  thread_local struct Holder {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    ~Holder() { ZSTD_freeDCtx(ctx); }
  } holder;
  return holder.ctx;
}

constexpr int kZstdLevel = 1;

}  // namespace

std::optional<Compressor> parse_compressor(std::string_view name) {
  if (name == "lz4") return Compressor::lz4;
  if (name == "zstd") return Compressor::zstd;
  return std::nullopt;
}

const char* compressor_name(Compressor c) { return c == Compressor::lz4 ? "lz4" : "zstd"; }

std::size_t compress_page(Compressor c, const void* src, std::size_t src_len, void* dst) {
  if (c == Compressor::lz4) {
    int n = LZ4_compress_default(static_cast<const char*>(src), static_cast<char*>(dst),
                                 static_cast<int>(src_len), static_cast<int>(kCompressBufferSize));
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  std::size_t n = ZSTD_compressCCtx(zstd_cctx(), dst, kCompressBufferSize, src, src_len, kZstdLevel);
  return ZSTD_isError(n) ? 0 : n;
}

bool decompress_page(Compressor c, const void* src, std::size_t src_len, void* dst,
                     std::size_t dst_len) {
  if (c == Compressor::lz4) {
    int n = LZ4_decompress_safe(static_cast<const char*>(src), static_cast<char*>(dst),
                                static_cast<int>(src_len), static_cast<int>(dst_len));
    return n >= 0 && static_cast<std::size_t>(n) == dst_len;
  }
  std::size_t n = ZSTD_decompressDCtx(zstd_dctx(), dst, dst_len, src, src_len);
  return !ZSTD_isError(n) && n == dst_len;
}

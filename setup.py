"""The compiled ingest kernels (``onvif_recorder.rtp.kernels._native``), optional.

Everything else is in pyproject.toml. Without a C compiler or the Python headers the build
warns and goes on: the pure-Python kernels (``kernels/pure.py``) do the same work, slower.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Turn any failure to build the kernels into a warning: the package works without them."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all (DistutilsPlatformError), and the like
            self._warn(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # CCompilerError, a missing Python.h, ...
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        message = (f"WARNING: the compiled ingest kernels were not built ({exc}); "
                   "onvif-recorder uses the pure-Python ones (same results, more CPU)")
        print(message)
        self.warn(message)


setup(
    ext_modules=[Extension("onvif_recorder.rtp.kernels._native",
                           ["src/onvif_recorder/rtp/kernels/_native.c"],
                           extra_compile_args=["-O2"], optional=True)],
    cmdclass={"build_ext": OptionalBuildExt},
)

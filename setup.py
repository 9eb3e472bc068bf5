"""Build the compiled evaluation kernel in place: ``python setup.py build_ext --inplace``.

The extension is compiled with ``-march=native`` on the machine that runs it, so it is never
shipped as a wheel (see docs/kernel.md).
"""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        "innovation_center.kernel._kernel",
        sources=["innovation_center/kernel/_kernel.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", "-march=native", "-ffast-math", "-fopenmp"],
        # With -ffast-math gcc vectorizes expf/tanhf into libmvec calls: link it explicitly.
        extra_link_args=["-fopenmp", "-lmvec", "-lm"],
    )
]

setup(
    name="innovation-center",
    version="0.1.0",
    packages=[],
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "language_level": 3,
        },
    ),
    zip_safe=False,
)

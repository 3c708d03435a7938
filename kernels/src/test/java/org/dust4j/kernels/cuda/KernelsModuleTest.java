package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Placeholder until this module has code: checks the module builds against the tensor engine. */
class KernelsModuleTest {
    @Test
    void seesTheTensorEngine() {
        Tensor t = Backends.cpu().zeros(org.dust4j.tensor.DType.F32, 2, 3);
        assertEquals(6, t.numel());
    }
}

package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Placeholder until this module has code: checks the module builds against the tensor engine. */
class ModelModuleTest {
    @Test
    void seesTheTensorEngine() {
        Tensor t = Backends.cpu().zeros(org.dust4j.tensor.DType.F32, 2, 3);
        assertEquals(6, t.numel());
    }
}

package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Without a CUDA device (this machine): the provider says so without throwing (the CLI's --device cuda then fails with one line: DeviceOptionTest). */
class CudaProviderTest {

    @BeforeEach
    void onlyWithoutDevice() {
        if (JCudaGpu.probe().available()) {
            String msg = "a CUDA device is present: the no-device behaviour is not testable here (see CudaKernelsGpuTest)";
            System.out.println(msg);
            Assumptions.abort(msg);
        }
    }

    @Test
    void providerIsRegisteredAndUnavailable() {
        List<Backends.BackendProvider> found = new ArrayList<>();
        ServiceLoader.load(Backends.BackendProvider.class).forEach(found::add);
        Backends.BackendProvider cuda = found.stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        assertFalse(cuda.available());
        String why = CudaBackendProvider.unavailableReason();
        assertNotNull(why);
        assertFalse(why.contains("\n"), "one line: " + why);
        JCudaGpu.Probe p = JCudaGpu.probe();
        assertFalse(p.available());
        assertEquals(0, p.devices());
        var e = assertThrows(IllegalStateException.class, () -> Backends.forDevice(Device.cuda(0)));
        assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
    }

    @Test
    void selectFallsBackToTheCpuWithOneNotice() {
        List<String> notices = new ArrayList<>();
        assertSame(Backends.cpu(), Devices.select("cuda", notices::add));
        assertSame(Backends.cpu(), Devices.select("cuda:1", notices::add));
        assertEquals(2, notices.size());
        assertTrue(notices.get(0).startsWith("dust4j: --device cuda requested but no CUDA device is usable ("), notices.get(0));
        assertTrue(notices.get(0).endsWith("running on the CPU"), notices.get(0));
        assertSame(Backends.cpu(), Devices.select("cpu", notices::add));
        assertSame(Backends.reference(), Devices.select("reference", notices::add));
        assertEquals(2, notices.size(), "no notice for cpu");
        var e = assertThrows(IllegalArgumentException.class, () -> Devices.select("tpu", notices::add));
        assertTrue(e.getMessage().contains("unknown device 'tpu'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Devices.select("cuda:x", notices::add));
    }

    @Test
    void openingADeviceFailsWithTheReason() {
        var e = assertThrows(CudaException.class, () -> new JCudaGpu(0));
        assertTrue(e.getMessage().startsWith("CUDA unavailable: "), e.getMessage());
    }

    @Test
    void buildInfoNotice() {
        CudaBuildInfo info = CudaBuildInfo.load();
        String n = info.notice();
        assertTrue(n.startsWith("dust4j CUDA kernels: "), n);
        if (info.ptxAvailable()) assertTrue(n.contains("compute_80/compute_90"), n);
        else assertTrue(n.contains("CPU only"), n);
    }
}

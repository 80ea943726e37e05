package dev.haul;

import static dev.haul.Outcomes.failure;
import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.listing;
import static dev.haul.Outcomes.success;
import static org.junit.jupiter.api.Assertions.*;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.FaultServer;
import dev.haul.testing.FaultyFiles;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local filesystem faults (catalogue 37–43): disk full, failing fsync/close/rename, bad
 * directories, existing destinations, kill-and-resume with the sidecar, remove-on-error and
 * planted links. Faults are injected through the engine's {@code FileOps} seam with the kit's
 * {@link FaultyFiles}; every test asserts the caller's outcome and the exact directory afterwards.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class LocalFaultsTest {
    static final byte[] OLD = "the previous version, which must survive\n".getBytes(StandardCharsets.UTF_8);

    @TempDir Path dir;
    FaultServer server;
    byte[] body = TestBodies.random(200_000, 42);
    ServeBytes serve = ServeBytes.of(body);

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        server.handle("/f", serve);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private DownloadManager managerWith(FaultyFiles faults) {
        return fastManager().fileOps(Outcomes.fileOps(faults)).build();
    }

    private DownloadRequest.Builder request() {
        return DownloadRequest.builder(server.url("/f"));
    }

    private void assertPrefixOfBody(Path part) throws Exception {
        byte[] got = Files.readAllBytes(part);
        assertTrue(got.length > 0 && got.length < body.length, "part size " + got.length);
        assertArrayEquals(Arrays.copyOf(body, got.length), got, "the part holds exactly a prefix of the body");
    }

    // ---------------------------------------------------------------- 37 disk full

    @Test
    void diskFullMidWriteIsLocalIoNotRetriedAndLeavesTheDestinationUntouched() throws Exception {
        Path out = dir.resolve("out.bin");
        try (DownloadManager m = managerWith(new FaultyFiles().diskFullAfter(50_000))) {
            DownloadException e = failure(m.download(request().build(), Destination.file(out)));
            assertEquals(Reason.LOCAL_IO, e.reason(), e.toString());
            assertFalse(e.retryable());
            assertEquals(1, server.requests("/f").size(), "a full disk is not a network error");
            assertFalse(Files.exists(out));
            // What was written stays as a resumable part: a prefix, with its sidecar.
            assertEquals(List.of("out.bin.part", "out.bin.part.meta"), listing(dir));
            assertPrefixOfBody(dir.resolve("out.bin.part"));
        }
    }

    @Test
    void diskFullKeepsAPreviousVersionOfTheDestinationUnchanged() throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, OLD);
        try (DownloadManager m = managerWith(new FaultyFiles().diskFullAfter(50_000))) {
            assertEquals(Reason.LOCAL_IO, failure(m.download(request().build(), Destination.file(out))).reason());
            assertEquals(1, server.requests("/f").size());
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(List.of("out.bin", "out.bin.part", "out.bin.part.meta"), listing(dir));
        }
    }

    // ---------------------------------------------------------------- 38 force / close / move

    @Test
    void failingForceIsLocalIoAndNothingIsRenamed() throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, OLD);
        FaultyFiles faults = new FaultyFiles().failForce(true);
        try (DownloadManager m = managerWith(faults)) {
            DownloadException e = failure(m.download(request().build(), Destination.file(out)));
            assertEquals(Reason.LOCAL_IO, e.reason(), e.toString());
            assertTrue(faults.forceCount() >= 1, "the part is forced before the rename");
            assertEquals(List.of(), faults.moves());
            assertEquals(1, server.requests("/f").size());
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
            assertEquals(0, faults.openChannels());
        }
    }

    @Test
    void largeFilesAreFlushedWhileTheyDownloadAndArriveIntact() throws Exception {
        byte[] big = TestBodies.random(80 * 1024 * 1024, 7); // past two background flushes
        server.handle("/big", ServeBytes.of(big));
        Path out = dir.resolve("big.bin");
        FaultyFiles faults = new FaultyFiles();
        try (DownloadManager m = managerWith(faults)) {
            var r = success(m.download(DownloadRequest.builder(server.url("/big"))
                    .build(), Destination.file(out)));
            assertEquals(big.length, r.size());
            assertTrue(faults.forceCount() >= 2, "forced " + faults.forceCount() + " times: flushed in the background and at the end");
            assertArrayEquals(big, Files.readAllBytes(out));
            assertEquals(List.of("big.bin"), listing(dir));
        }
    }

    @Test
    void backgroundFlushesOfManyLargeFilesShareTwoThreads() throws Exception {
        byte[] big = TestBodies.random(72 * 1024 * 1024, 9);
        server.handle("/big", ServeBytes.of(big));
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                int n = (int) Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().matches("haul-[0-9]+-flush-.*")).count();
                most.accumulateAndGet(n, Math::max);
                Thread.onSpinWait();
            }
        }, "flush-sampler");
        sampler.start();
        FaultyFiles faults = new FaultyFiles();
        try (DownloadManager m = managerWith(faults)) {
            List<Download<Path>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(m.download(DownloadRequest.builder(server.url("/big"))
                        .build(), Destination.file(dir.resolve("big" + i + ".bin"))));
            }
            for (Download<Path> d : all) {
                assertEquals(big.length, success(d).size());
            }
        } finally {
            sampling.set(false);
            sampler.join(5_000);
        }
        assertTrue(faults.forceCount() >= 4 + 4, "each of 4 files flushed in the background and forced: " + faults.forceCount());
        assertTrue(most.get() >= 1 && most.get() <= 2, "flush threads at once: " + most.get());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(big, Files.readAllBytes(dir.resolve("big" + i + ".bin")));
        }
        assertEquals(List.of("big0.bin", "big1.bin", "big2.bin", "big3.bin"), listing(dir));
    }

    @Test
    void aFailedBackgroundFlushFailsTheDownloadEvenWhenTheLastForceSucceeds() throws Exception {
        byte[] big = TestBodies.random(40 * 1024 * 1024, 8);
        server.handle("/big", ServeBytes.of(big));
        Path out = dir.resolve("big.bin");
        Files.write(out, OLD);
        FaultyFiles faults = new FaultyFiles().failFirstForces(1); // the background flush's error
        try (DownloadManager m = managerWith(faults)) {
            DownloadException e = failure(m.download(DownloadRequest.builder(server.url("/big"))
                    .build(), Destination.file(out)));
            assertEquals(Reason.LOCAL_IO, e.reason(), e.toString());
            assertTrue(faults.forceCount() >= 2, "the final force ran too: " + faults.forceCount());
            assertEquals(List.of(), faults.moves(), "nothing that may not be on disk is renamed");
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(0, faults.openChannels());
        }
        // As with a failing final force: bytes the disk may not hold are not kept for a resume.
        assertEquals(List.of("big.bin"), listing(dir));
    }

    @Test
    void failingCloseIsLocalIoAndNothingIsRenamed() throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, OLD);
        FaultyFiles faults = new FaultyFiles().failClose(true);
        try (DownloadManager m = managerWith(faults)) {
            DownloadException e = failure(m.download(request().build(), Destination.file(out)));
            assertEquals(Reason.LOCAL_IO, e.reason(), e.toString());
            assertEquals(List.of(), faults.moves());
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
            assertTrue(faults.channels().stream().allMatch(c -> c.delegateClosed()), "no file left open");
        }
    }

    @Test
    void failingMoveIsLocalIoAndTheDestinationIsUntouched() throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, OLD);
        FaultyFiles faults = new FaultyFiles().failMove(new AtomicMoveNotSupportedException("a", "b", "injected"));
        try (DownloadManager m = managerWith(faults)) {
            DownloadException e = failure(m.download(request().build(), Destination.file(out)));
            assertEquals(Reason.LOCAL_IO, e.reason(), e.toString());
            assertEquals(1, server.requests("/f").size());
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
        }
    }

    // ---------------------------------------------------------------- 39 bad directories

    @Test
    void missingDirectoryParentFileOrDirectoryDestinationIsLocalIoAndCreatesNothing() throws Exception {
        Files.write(dir.resolve("afile"), OLD);
        Files.createDirectory(dir.resolve("adir"));
        try (DownloadManager m = fastManager().build()) {
            for (Path out : List.of(dir.resolve("missing/out.bin"), dir.resolve("missing/deeper/out.bin"),
                    dir.resolve("afile/out.bin"), dir.resolve("adir"))) {
                DownloadException e = failure(m.download(request().build(), Destination.file(out)));
                assertEquals(Reason.LOCAL_IO, e.reason(), out + ": " + e);
            }
        }
        assertEquals(List.of(), server.requests(), "nothing is asked for when nothing can be stored");
        assertEquals(List.of("adir", "afile"), listing(dir));
        assertEquals(List.of(), listing(dir.resolve("adir")));
        assertArrayEquals(OLD, Files.readAllBytes(dir.resolve("afile")));
    }

    // ---------------------------------------------------------------- 40 existing destination

    @Test
    void anExistingDestinationIsReplacedOnlyOnSuccess() throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, OLD);
        server.always("/missing", Responses.status(404, "error page".getBytes(StandardCharsets.UTF_8)));
        serve.cutOnRequest(1, 30_000, ServeBytes.Cut.RST);
        try (DownloadManager m = fastManager().build()) {
            DownloadException notFound = failure(m.download(DownloadRequest.builder(server.url("/missing"))
                    .build(), Destination.file(out)));
            assertEquals(Reason.HTTP_STATUS, notFound.reason());
            assertEquals(404, notFound.statusCode());
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));

            DownloadException cut = failure(m.download(request().retryPolicy(RetryPolicy.NONE).build(), Destination.file(out)));
            assertEquals(Reason.NETWORK, cut.reason());
            assertArrayEquals(OLD, Files.readAllBytes(out));
            assertEquals(List.of("out.bin", "out.bin.part", "out.bin.part.meta"), listing(dir));

            var r = success(m.download(request().build(), Destination.file(out)));
            assertEquals(body.length, r.size());
            assertArrayEquals(body, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
        }
    }

    // ---------------------------------------------------------------- 41 killed, then resumed

    @Test
    void aKilledDownloadLeavesAPartAndSidecarThatTheNextRunResumes() throws Exception {
        Path out = dir.resolve("out.bin");
        serve.cutOnRequest(1, 80_000, ServeBytes.Cut.RST);
        String url = server.url("/f?token=sekrit");
        try (DownloadManager m = fastManager().build()) {
            DownloadException e = failure(m.download(DownloadRequest.builder(url)
                    .retryPolicy(RetryPolicy.NONE).build(), Destination.file(out)));
            assertEquals(Reason.NETWORK, e.reason());
            assertEquals(List.of("out.bin.part", "out.bin.part.meta"), listing(dir));
            assertPrefixOfBody(dir.resolve("out.bin.part"));
            long kept = Files.size(dir.resolve("out.bin.part"));
            String meta = Files.readString(dir.resolve("out.bin.part.meta"), StandardCharsets.ISO_8859_1);
            assertFalse(meta.contains("127.0.0.1"), "the sidecar stores a hash, not the URL:\n" + meta);
            assertFalse(meta.contains("sekrit"), meta);
            assertFalse(meta.contains("/f"), meta);
            assertTrue(meta.contains(serve.etag().replace("\"", "")), "the sidecar keeps the validator:\n" + meta);

            var r = success(m.download(DownloadRequest.builder(url).build(), Destination.file(out)));
            RecordedRequest second = server.lastRequest("/f");
            assertEquals("bytes=" + kept + "-", second.header("Range"));
            assertEquals(serve.etag(), second.header("If-Range"));
            assertEquals(206, r.statusCode());
            assertEquals(body.length, r.size());
            assertArrayEquals(body, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
        }
    }

    @Test
    void aResumedRunReportsWhereItResumedFrom() throws Exception {
        Path out = dir.resolve("out.bin");
        serve.cutOnRequest(1, 80_000, ServeBytes.Cut.RST);
        try (DownloadManager m = fastManager().build()) {
            failure(m.download(request().retryPolicy(RetryPolicy.NONE).build(), Destination.file(out)));
            long kept = Files.size(dir.resolve("out.bin.part"));
            var r = success(m.download(request().build(), Destination.file(out)));
            assertEquals(kept, r.resumedFrom());
        }
    }

    @Test
    void aPartWithoutSidecarOrForAnotherUrlIsNotTrusted() throws Exception {
        Path out = dir.resolve("out.bin");
        byte[] garbage = TestBodies.random(50_000, 99);
        Files.write(dir.resolve("out.bin.part"), garbage);
        try (DownloadManager m = fastManager().build()) {
            var r = success(m.download(request().build(), Destination.file(out)));
            assertFalse(server.lastRequest("/f").hasHeader("Range"), "a part without sidecar is not resumed");
            assertEquals(200, r.statusCode());
            assertArrayEquals(body, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));

            // A part and sidecar left by a download of another URL to the same file.
            server.handle("/other", ServeBytes.of(garbage).cutOnRequest(1, 20_000, ServeBytes.Cut.RST));
            failure(m.download(DownloadRequest.builder(server.url("/other"))
                    .retryPolicy(RetryPolicy.NONE).build(), Destination.file(out)));
            assertEquals(List.of("out.bin", "out.bin.part", "out.bin.part.meta"), listing(dir));
            success(m.download(request().build(), Destination.file(out)));
            assertFalse(server.lastRequest("/f").hasHeader("Range"), "another URL's part is not resumed");
            assertArrayEquals(body, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
        }
    }

    @Test
    void aSidecarWhoseEtagNoLongerMatchesRestartsWithTheNewBytes() throws Exception {
        Path out = dir.resolve("out.bin");
        serve.cutOnRequest(1, 80_000, ServeBytes.Cut.FIN);
        try (DownloadManager m = fastManager().build()) {
            failure(m.download(request().retryPolicy(RetryPolicy.NONE).build(), Destination.file(out)));
            String oldEtag = serve.etag();
            byte[] changed = TestBodies.random(150_000, 43);
            serve.body(changed); // new content, new ETag
            var r = success(m.download(request().build(), Destination.file(out)));
            RecordedRequest second = server.lastRequest("/f");
            assertEquals("bytes=80000-", second.header("Range"));
            assertEquals(oldEtag, second.header("If-Range"));
            assertEquals(200, r.statusCode(), "If-Range answered with the whole new body");
            assertArrayEquals(changed, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
        }
    }

    // ---------------------------------------------------------------- 42 remove-on-error

    @Test
    void unrelatedFilesAreNeverDeletedOnError() throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, OLD);
        Files.write(dir.resolve("out.bin.bak"), OLD);
        Files.write(dir.resolve("notes.txt"), OLD);
        Files.createDirectory(dir.resolve("sub"));
        Files.write(dir.resolve("sub/out.bin.part"), OLD);
        server.always("/gone", Responses.status(410));
        try (DownloadManager m = managerWith(new FaultyFiles().diskFullAfter(10_000))) {
            assertEquals(Reason.HTTP_STATUS, failure(m.download(DownloadRequest.builder(server.url("/gone"))
                    .build(), Destination.file(out))).reason());
            assertEquals(Reason.LOCAL_IO, failure(m.download(request().build(), Destination.file(out))).reason());
        }
        try (DownloadManager m = fastManager().build()) {
            assertEquals(Reason.INTEGRITY, failure(m.download(request()
                    .expectedSha256(TestBodies.sha256Hex(new byte[0])).build(), Destination.file(out))).reason());
        }
        assertEquals(List.of("notes.txt", "out.bin", "out.bin.bak", "sub"), listing(dir));
        for (Path p : List.of(out, dir.resolve("out.bin.bak"), dir.resolve("notes.txt"), dir.resolve("sub/out.bin.part"))) {
            assertArrayEquals(OLD, Files.readAllBytes(p), p.toString());
        }
    }

    // ---------------------------------------------------------------- 43 planted links

    @Test
    void linksPlantedAtThePartOrDestinationAreReplacedNeverFollowed() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path victim = elsewhere.resolve("victim");
        Files.write(victim, OLD);
        Path out = dir.resolve("out.bin");
        Files.createSymbolicLink(dir.resolve("out.bin.part"), victim);
        Path out2 = dir.resolve("out2.bin");
        Files.createSymbolicLink(out2, victim);
        try (DownloadManager m = fastManager().build()) {
            success(m.download(request().build(), Destination.file(out)));
            success(m.download(request().build(), Destination.file(out2)));
        }
        assertArrayEquals(OLD, Files.readAllBytes(victim), "the link's target was written");
        for (Path p : List.of(out, out2)) {
            assertTrue(Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS), p + " is a regular file");
            assertArrayEquals(body, Files.readAllBytes(p));
        }
        assertEquals(List.of("elsewhere", "out.bin", "out2.bin"), listing(dir));
        assertEquals(List.of("victim"), listing(elsewhere));
    }

    @Test
    void aLinkPlantedAtTheSidecarTempPathIsNotFollowed() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path victim = elsewhere.resolve("victim");
        Files.write(victim, OLD);
        Files.createSymbolicLink(dir.resolve("out.bin.part.meta.tmp"), victim);
        Files.createSymbolicLink(dir.resolve("out.bin.part.meta"), victim);
        Path out = dir.resolve("out.bin");
        try (DownloadManager m = fastManager().build()) {
            success(m.download(request().build(), Destination.file(out)));
        }
        assertArrayEquals(OLD, Files.readAllBytes(victim), "the link's target was written");
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("elsewhere", "out.bin"), listing(dir));
    }

    @Test
    void thePartAndItsSidecarAreOwnerOnly() throws Exception {
        Path out = dir.resolve("out.bin");
        serve.cutOnRequest(1, 30_000, ServeBytes.Cut.RST);
        try (DownloadManager m = fastManager().build()) {
            failure(m.download(request().retryPolicy(RetryPolicy.NONE).build(), Destination.file(out)));
        }
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        assertEquals(List.of("out.bin.part", "out.bin.part.meta"), listing(dir));
        assertEquals(ownerOnly, Files.getPosixFilePermissions(dir.resolve("out.bin.part")));
        assertEquals(ownerOnly, Files.getPosixFilePermissions(dir.resolve("out.bin.part.meta")));
    }

    // ---------------------------------------------------------------- 43 the finished file's mode

    @Test
    void theFinishedFileGetsTheModeOfANewFileOrOfTheFileItReplaces() throws Exception {
        Path probe = dir.resolve("probe");
        Files.newOutputStream(probe).close(); // what the process umask gives a new file
        Set<PosixFilePermission> umaskMode = Files.getPosixFilePermissions(probe);
        Files.delete(probe);
        Path out = dir.resolve("out.bin");
        try (DownloadManager m = fastManager().build()) {
            success(m.download(request().build(), Destination.file(out)));
            assertEquals(umaskMode, Files.getPosixFilePermissions(out), "not left owner-only");
            Set<PosixFilePermission> custom = PosixFilePermissions.fromString("rw-r-----");
            Files.setPosixFilePermissions(out, custom);
            success(m.download(request().build(), Destination.file(out)));
            assertEquals(custom, Files.getPosixFilePermissions(out), "a replaced file keeps its mode");
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
    }
}

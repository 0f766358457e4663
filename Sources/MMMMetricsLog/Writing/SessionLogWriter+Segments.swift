import MMMMetricsCore
import MMMMetricsLogFormat

// Segments of a writer: starting, writing blocks into, sealing and indexing them.
extension SessionLogWriter {
    /// Seals the current segment; `nextSequence` is the next segment's first (by default the next
    /// event's: a block in flight is placed first).
    func sealCurrentSegment(nextSequence: UInt64? = nil) throws(LogError) {
        if nextSequence == nil { try settleInFlight() }
        guard let current = segment else { return }
        try repairIfNeeded(current)
        let events = current.blocks.reduce(UInt64(0)) { $0 + UInt64($1.header.eventCount) }
        let seal = SealRecord(
            blockCount: current.blocks.count, eventCount: events, nextSequence: nextSequence ?? writtenSequence,
            minTimestamp: current.blocks.map(\.header.minTimestamp).min() ?? 0,
            maxTimestamp: current.blocks.map(\.header.maxTimestamp).max() ?? 0)
        let bytes = seal.encoded()
        do {
            try current.file.write(bytes)
        } catch {
            current.needsRepair = true
            throw error
        }
        current.size += bytes.count
        // The seal is in the file: the segment is finished whatever happens next, so a retry never
        // seals it twice and no block goes after its seal. What is left to do (fsync, index) is
        // retried by the next flush or close until it succeeds.
        segment = nil
        sealedUnfinished.append(current)
        try finishSealedSegments()
    }

    /// Syncs and indexes the segments sealed since the last time that succeeded, then closes them.
    func finishSealedSegments() throws(LogError) {
        while let sealed = sealedUnfinished.first {
            if options.durability != .none { try sealed.file.sync() }
            try writeIndex(sealed, sealed: true)
            sealed.file.close()
            sealedUnfinished.removeFirst()
        }
    }

    func writeIndex(_ current: OpenSegment, sealed: Bool) throws(LogError) {
        var scan = SegmentScan(header: current.header, blocks: current.blocks, seal: nil, damage: [], validEnd: current.size, fileSize: current.size)
        if sealed { scan.seal = SealRecord(blockCount: 0, eventCount: 0, nextSequence: 0, minTimestamp: 0, maxTimestamp: 0) }
        let index = SegmentIndex(scan: scan, blockNames: current.blockNames, summaries: current.blockSummaries)
        try FileSystem.writeAtomically(LogRoot.indexPath(forSegment: current.file.path), index.encoded(), sync: options.durability != .none)
    }

    /// Cuts a segment back to its last good size after a failed write.
    func repairIfNeeded(_ current: OpenSegment) throws(LogError) {
        guard current.needsRepair else { return }
        try current.file.truncate(to: current.size)
        current.needsRepair = false
    }

    func startSegment(firstSequence: UInt64) throws(LogError) -> OpenSegment {
        let path = directory + "/" + LogRoot.segmentFileName(firstSequence: firstSequence)
        let header = SegmentHeader(sessionID: session, firstSequence: firstSequence, createdNanoseconds: MetricTimestamp.now().nanosecondsSinceEpoch)
        let bytes = header.encoded()
        let file = try OpenFile(path: path, mode: .createNew)
        do {
            try file.write(bytes)
            if options.durability != .none {
                try file.sync()
                FileSystem.syncDirectory(directory)
            }
        } catch {
            file.close()
            FileSystem.remove(path)
            throw error
        }
        var stored = header
        stored.crc = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian }
        stored.size = bytes.count
        return OpenSegment(file: file, header: stored, size: bytes.count, blocks: [], blockNames: [], blockSummaries: [])
    }

    /// Writes buffered events in blocks of at most `blockMaxEvents` events and `blockMaxBytes` bytes:
    /// only full blocks unless `all`.
    func writeBlocks(all: Bool) throws(LogError) {
        while blockIsDue || (all && !pending.isEmpty) {
            let end = min(pending.count, options.blockMaxEvents)
            let candidates = pending.prefix(end)
            let count = try writeBlock(candidates.events, sizes: candidates.sizes)
            removePending(count)
            writtenSequence += UInt64(count)
        }
    }

    /// Writes a block of a prefix of `candidates` (as many as fit the byte limit); returns how many.
    /// With a ``compressionLane`` the block is encoded and handed to the lane, and placed in the
    /// segment by the next call that needs the lane or this writer's files settled.
    func writeBlock(_ candidates: ArraySlice<MetricEvent>, sizes: ArraySlice<Int>) throws(LogError) -> Int {
        let encoded = BlockPayload.encodeBlock(candidates, sizes: sizes, byteBudget: options.blockMaxBytes)
        if let lane = compressionLane {
            try lane.owner?.settleInFlight()
            inFlight = (encoded, writtenSequence)
            lane.owner = self
            lane.submit(encoded, level: options.compressionLevel, sectionMinimum: options.sectionMinimumBytes)
            return encoded.count
        }
        let stored: StoredPayload
        do {
            stored = try StoredPayload.make(encoded, compressor: compressor, sectionMinimum: options.sectionMinimumBytes)
        } catch {
            throw .invalidInput("\(error)")
        }
        try place(encoded, stored: stored, firstSequence: writtenSequence)
        return encoded.count
    }

    /// Places this writer's block in flight on the lane, if any, in its segment (waiting for its
    /// frame). When that fails the block's events are lost: a lane is for all-or-nothing callers,
    /// which undo everything on any error.
    func settleInFlight() throws(LogError) {
        guard let (encoded, firstSequence) = inFlight, let lane = compressionLane else { return }
        inFlight = nil
        lane.owner = nil
        switch lane.take() {
        case .success(let stored):
            try place(encoded, stored: stored, firstSequence: firstSequence)
        case .failure(let error):
            throw .invalidInput("\(error)")
        }
    }

    /// Drops this writer's block in flight, if any (its frame is waited for, so the lane is free).
    func discardInFlight() {
        guard inFlight != nil, let lane = compressionLane else { return }
        inFlight = nil
        lane.owner = nil
        _ = lane.take()
    }

    /// Frames an encoded block as stored (``StoredPayload``) and appends it to the segment, starting
    /// or sealing segments as their limits say.
    private func place(_ encoded: BlockPayload.Encoded, stored: StoredPayload, firstSequence: UInt64) throws(LogError) {
        let header = BlockHeader(
            encoding: stored.encoding, storedLength: stored.bytes.count, decodedLength: encoded.bytes.count,
            eventCount: encoded.count, firstSequence: firstSequence, minTimestamp: encoded.minTimestamp, maxTimestamp: encoded.maxTimestamp)
        let framed = header.frame(payload: stored.bytes)

        if let current = segment {
            let tooBig = current.size + framed.count > options.segmentMaxBytes && !current.blocks.isEmpty
            let tooOld = ContinuousClock.now - current.createdAt > options.segmentMaxAge && !current.blocks.isEmpty
            if tooBig || tooOld { try sealCurrentSegment(nextSequence: firstSequence) }
        }
        let current: OpenSegment
        if let existing = segment { current = existing } else { current = try startSegment(firstSequence: firstSequence) }
        segment = current
        try repairIfNeeded(current)
        do {
            try current.file.write(framed)
        } catch {
            // Cut back whatever part of the block reached the file, now if possible, else before the next write.
            current.needsRepair = true
            try? repairIfNeeded(current)
            throw error
        }
        current.blocks.append(BlockLocation(offset: current.size, header: header))
        current.blockNames.append(encoded.metricNames)
        current.keepSummary(encoded.summary)
        current.size += framed.count
        if options.durability == .everyBlock { try current.file.sync() }
    }
}

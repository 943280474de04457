// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title RemitAnchor
/// @notice Write-once registry of Remit period roots. Each period's root is the
///         RFC 9162 Merkle root over that period's batch roots; `count` is the
///         number of receipts it covers. A period is anchored at most once.
contract RemitAnchor {
    struct Anchor {
        bytes32 root;
        uint64 count;
    }

    /// @notice The account allowed to anchor: the deployer.
    address public immutable owner;

    mapping(uint64 => Anchor) private _anchors;
    uint64 private _lastPeriod;

    event Anchored(uint64 indexed period, bytes32 root, uint64 count);

    error NotOwner(address caller);
    error ZeroRoot();
    error AlreadyAnchored(uint64 period, bytes32 root);

    constructor() {
        owner = msg.sender;
    }

    /// @notice Records `root` for `period`. Reverts if the period already has a root.
    function anchor(uint64 period, bytes32 root, uint64 count) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        Anchor storage a = _anchors[period];
        if (a.root != bytes32(0)) revert AlreadyAnchored(period, a.root);
        a.root = root;
        a.count = count;
        if (period > _lastPeriod) _lastPeriod = period;
        emit Anchored(period, root, count);
    }

    /// @notice The root anchored for `period`, or zero.
    function rootOf(uint64 period) external view returns (bytes32) {
        return _anchors[period].root;
    }

    /// @notice The number of receipts anchored for `period`, or zero.
    function countOf(uint64 period) external view returns (uint64) {
        return _anchors[period].count;
    }

    /// @notice The highest period anchored so far (zero before the first anchor).
    function lastPeriod() external view returns (uint64) {
        return _lastPeriod;
    }
}

extension PluginFleet {
    /// Every plugin's status, by name.
    func statuses() -> [PluginStatus] {
        var all = managed.map { status($0.key, $0.value) }
        all += attached.values.map(PluginStatus.init)
        return all.sorted { $0.name < $1.name }
    }

    /// The status of the plugin named `name`, started or external; nil when there is none.
    func status(_ name: String) -> PluginStatus? {
        if let plugin = managed[name] { return status(name, plugin) }
        if let plugin = attached[name] { return PluginStatus(plugin) }
        return nil
    }

    func status(_ name: String, _ plugin: ManagedPlugin) -> PluginStatus {
        PluginStatus(
            plugin,
            name: name,
            socketPath: configuration.pluginSocketPath(name),
            manifestPath: configuration.manifestPath(name)
        )
    }
}
